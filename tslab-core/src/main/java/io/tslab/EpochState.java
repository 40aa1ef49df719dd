package io.tslab;

/** The state of an epoch slot of the ring. */
public enum EpochState {
    /** Accepts allocations. At most one epoch, the current one, is ACTIVE. */
    ACTIVE,
    /**
     * Refuses allocations ({@code alloc} returns 0). Its slabs drain as their objects are freed and
     * go back to the OS once empty. A slot the ring has not reached yet is CLOSING with era 0.
     */
    CLOSING
}
