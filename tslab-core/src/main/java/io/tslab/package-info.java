/**
 * The allocator API: {@link io.tslab.SlabAllocator} and its settings.
 */
package io.tslab;
