package io.tslab.internal;

import io.tslab.stats.AllocatorSnapshot;
import io.tslab.stats.GlobalStats;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the JSON written by {@link SnapshotJson} back into an {@link AllocatorSnapshot}: the inverse
 * mapping, by reflection over the same record components (a field's name is the snake_case of its
 * component; {@code global}'s components sit at the top level), so writer and reader cannot drift.
 *
 * <p>Rules: every component must be present, once, with a value of its type ({@code int} and
 * {@code long} from integer literals in range, {@code double} from any finite number, enums by
 * constant name, {@code String} or {@code null} for strings, lists and string-keyed maps of the
 * above). Unknown fields are skipped: a newer writer may add fields without bumping {@code
 * schema_version} (§4 of the spec), while a different {@code schema_version} is refused. Documents
 * come through {@link JsonParser}, so syntax is strict and nesting is bounded; every array holds at
 * most {@link #MAX_ARRAY_ELEMENTS} elements and one call reads at most {@link #MAX_TOTAL_ELEMENTS}
 * array elements and map entries in all, which bounds the memory a hostile document can make us
 * allocate to the size of the records a real one would give.
 *
 * <p>Errors are {@link IllegalArgumentException}s naming the field path and the position: {@code
 * "$.epochs[3].label (line 80, column 12): expected a string, found a number"}.
 */
public final class SnapshotJsonReader {
    /** Most elements in one array (a real snapshot has at most 8 x 256 class-epoch pairs). */
    public static final int MAX_ARRAY_ELEMENTS = 1 << 16;
    /** Most array elements and map entries in one document, all arrays together. */
    public static final int MAX_TOTAL_ELEMENTS = 1 << 20;

    private static final String GLOBAL = "global";
    private static final Map<Class<?>, Shape> SHAPES = new ConcurrentHashMap<>();

    private final JsonParser parser;
    private int elementBudget = MAX_TOTAL_ELEMENTS;

    private SnapshotJsonReader(String json) {
        this.parser = new JsonParser(json);
    }

    /** One snapshot document, as {@link AllocatorSnapshot#toJson()} writes it. */
    public static AllocatorSnapshot read(String json) {
        SnapshotJsonReader reader = new SnapshotJsonReader(json);
        AllocatorSnapshot snapshot = reader.snapshot("$");
        reader.parser.endDocument();
        return snapshot;
    }

    /**
     * A document {@code {"allocators": [<snapshot>, ...]}} (the stats file's payload); other top-level
     * fields are skipped.
     */
    public static List<AllocatorSnapshot> readAllocators(String json) {
        SnapshotJsonReader reader = new SnapshotJsonReader(json);
        JsonParser p = reader.parser;
        List<AllocatorSnapshot> result = null;
        reader.expect(JsonParser.Token.BEGIN_OBJECT, "$");
        p.beginObject();
        while (p.hasNext()) {
            String name = p.nextName();
            if (name.equals("allocators")) {
                if (result != null) {
                    throw reader.fail("$.allocators", "duplicate field 'allocators'");
                }
                result = new ArrayList<>();
                reader.expect(JsonParser.Token.BEGIN_ARRAY, "$.allocators");
                p.beginArray();
                while (p.hasNext()) {
                    String path = "$.allocators[" + result.size() + "]";
                    reader.countElement(result.size(), path);
                    result.add(reader.snapshot(path));
                }
                p.endArray();
            } else {
                p.skipValue();
            }
        }
        p.endObject();
        p.endDocument();
        if (result == null) {
            throw new IllegalArgumentException("$: missing field 'allocators'");
        }
        return List.copyOf(result);
    }

    // ---- mapping ------------------------------------------------------------------------------

    /** The snapshot: its own components and those of {@code global}, all from one object. */
    private AllocatorSnapshot snapshot(String path) {
        Shape outer = shape(AllocatorSnapshot.class);
        Shape global = shape(GlobalStats.class);
        int globalIndex = outer.indexOf(GLOBAL);
        Object[] outerArgs = new Object[outer.size()];
        Object[] globalArgs = new Object[global.size()];
        boolean[] outerSeen = new boolean[outer.size()];
        boolean[] globalSeen = new boolean[global.size()];
        outerSeen[globalIndex] = true;

        expect(JsonParser.Token.BEGIN_OBJECT, path);
        parser.beginObject();
        while (parser.hasNext()) {
            String name = parser.nextName();
            int i = outer.indexOf(name);
            if (i >= 0 && i != globalIndex) {
                readField(outer, i, outerArgs, outerSeen, path);
                continue;
            }
            int g = global.indexOf(name);
            if (g >= 0) {
                readField(global, g, globalArgs, globalSeen, path);
            } else {
                parser.skipValue();
            }
        }
        int schemaIndex = outer.indexOf("schema_version");
        if (outerSeen[schemaIndex] && (int) outerArgs[schemaIndex] != AllocatorSnapshot.SCHEMA_VERSION) {
            throw new IllegalArgumentException(path + ".schema_version: " + outerArgs[schemaIndex]
                    + " is not supported (expected " + AllocatorSnapshot.SCHEMA_VERSION + ")");
        }
        checkComplete(global, globalSeen, path);
        outerArgs[globalIndex] = construct(global, globalArgs, path);
        checkComplete(outer, outerSeen, path);
        parser.endObject();
        AllocatorSnapshot snapshot = (AllocatorSnapshot) construct(outer, outerArgs, path);
        checkShape(snapshot, path);
        return snapshot;
    }

    /**
     * The shape every reader of a snapshot relies on to index it, which a damaged or hand-made
     * document may not have: a name; the {@value SizeClasses#COUNT} classes in order; one epoch per
     * ring slot, in order; the current epoch a slot of the ring; (class, epoch) pairs in range, each
     * at most once. The figures themselves are not checked: they are what the writer saw.
     */
    private static void checkShape(AllocatorSnapshot s, String path) {
        if (s.allocator() == null) {
            throw new IllegalArgumentException(path + ".allocator: null (expected: the allocator's name)");
        }
        if (s.classes().size() != SizeClasses.COUNT) {
            throw new IllegalArgumentException(path + ".classes: " + s.classes().size() + " classes (expected: "
                    + SizeClasses.COUNT + ")");
        }
        for (int c = 0; c < SizeClasses.COUNT; c++) {
            if (s.classes().get(c).classIndex() != c) {
                throw new IllegalArgumentException(path + ".classes[" + c + "].class_index: "
                        + s.classes().get(c).classIndex() + " (expected: " + c + ", the classes in order)");
            }
        }
        int epochs = s.epochCount();
        if (epochs < 1 || epochs > 256) {
            throw new IllegalArgumentException(path + ".epoch_count: " + epochs + " (expected: 1..256)");
        }
        if (s.epochs().size() != epochs) {
            throw new IllegalArgumentException(path + ".epochs: " + s.epochs().size() + " epochs (expected: epoch_count, "
                    + epochs + ")");
        }
        for (int e = 0; e < epochs; e++) {
            if (s.epochs().get(e).epochId() != e) {
                throw new IllegalArgumentException(path + ".epochs[" + e + "].epoch_id: " + s.epochs().get(e).epochId()
                        + " (expected: " + e + ", the ring slots in order)");
            }
        }
        int current = s.global().currentEpoch();
        if (current < 0 || current >= epochs) {
            throw new IllegalArgumentException(path + ".current_epoch: " + current + " (expected: 0.." + (epochs - 1) + ")");
        }
        boolean[] seen = new boolean[SizeClasses.COUNT * epochs];
        for (int i = 0; i < s.classEpochs().size(); i++) {
            io.tslab.stats.ClassEpochStats ce = s.classEpochs().get(i);
            if (ce.classIndex() < 0 || ce.classIndex() >= SizeClasses.COUNT || ce.epochId() < 0 || ce.epochId() >= epochs) {
                throw new IllegalArgumentException(path + ".class_epochs[" + i + "]: class " + ce.classIndex() + ", epoch "
                        + ce.epochId() + " (expected: class 0.." + (SizeClasses.COUNT - 1) + ", epoch 0.." + (epochs - 1) + ")");
            }
            int at = ce.classIndex() * epochs + ce.epochId();
            if (seen[at]) {
                throw new IllegalArgumentException(path + ".class_epochs[" + i + "]: class " + ce.classIndex() + ", epoch "
                        + ce.epochId() + " is listed twice");
            }
            seen[at] = true;
        }
    }

    private Record record(Class<?> type, String path) {
        Shape shape = shape(type);
        Object[] args = new Object[shape.size()];
        boolean[] seen = new boolean[shape.size()];
        expect(JsonParser.Token.BEGIN_OBJECT, path);
        parser.beginObject();
        while (parser.hasNext()) {
            String name = parser.nextName();
            int i = shape.indexOf(name);
            if (i >= 0) {
                readField(shape, i, args, seen, path);
            } else {
                parser.skipValue();
            }
        }
        checkComplete(shape, seen, path);
        parser.endObject();
        return construct(shape, args, path);
    }

    private void readField(Shape shape, int i, Object[] args, boolean[] seen, String path) {
        String fieldPath = path + "." + shape.names[i];
        if (seen[i]) {
            throw fail(fieldPath, "duplicate field '" + shape.names[i] + "'");
        }
        seen[i] = true;
        args[i] = value(shape.types[i], fieldPath);
    }

    private Object value(Type type, String path) {
        if (type == int.class || type == Integer.class) {
            expect(JsonParser.Token.NUMBER, path);
            return at(path, parser::nextInt);
        }
        if (type == long.class || type == Long.class) {
            expect(JsonParser.Token.NUMBER, path);
            return at(path, parser::nextLong);
        }
        if (type == double.class || type == Double.class) {
            expect(JsonParser.Token.NUMBER, path);
            return at(path, parser::nextDouble);
        }
        if (type == boolean.class || type == Boolean.class) {
            JsonParser.Token t = parser.peek();
            if (t != JsonParser.Token.TRUE && t != JsonParser.Token.FALSE) {
                throw fail(path, "expected a boolean, found " + t.describe());
            }
            return parser.nextBoolean();
        }
        if (type == String.class) {
            if (parser.peek() == JsonParser.Token.NULL) {
                parser.nextNull();
                return null;
            }
            expect(JsonParser.Token.STRING, path);
            return parser.nextString();
        }
        if (type instanceof Class<?> c && c.isEnum()) {
            expect(JsonParser.Token.STRING, path);
            String name = parser.nextString();
            for (Object constant : c.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(name)) {
                    return constant;
                }
            }
            throw new IllegalArgumentException(path + ": unknown value \"" + abbreviate(name) + "\" (expected one of "
                    + Arrays.toString(c.getEnumConstants()) + ")");
        }
        if (type instanceof Class<?> c && c.isRecord()) {
            return record(c, path);
        }
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            Type element = p.getActualTypeArguments()[0];
            expect(JsonParser.Token.BEGIN_ARRAY, path);
            parser.beginArray();
            List<Object> list = new ArrayList<>();
            while (parser.hasNext()) {
                String elementPath = path + "[" + list.size() + "]";
                countElement(list.size(), elementPath);
                Object v = value(element, elementPath);
                if (v == null) {
                    throw new IllegalArgumentException(elementPath + ": null is not allowed in a list");
                }
                list.add(v);
            }
            parser.endArray();
            return list;
        }
        if (type instanceof ParameterizedType p && p.getRawType() == Map.class
                && p.getActualTypeArguments()[0] == String.class) {
            Type valueType = p.getActualTypeArguments()[1];
            expect(JsonParser.Token.BEGIN_OBJECT, path);
            parser.beginObject();
            Map<String, Object> map = new LinkedHashMap<>();
            while (parser.hasNext()) {
                String key = parser.nextName();
                String entryPath = path + "." + abbreviate(key);
                countElement(map.size(), entryPath);
                if (map.containsKey(key)) {
                    throw fail(entryPath, "duplicate key '" + abbreviate(key) + "'");
                }
                Object v = value(valueType, entryPath);
                if (v == null) {
                    throw new IllegalArgumentException(entryPath + ": null is not allowed in a map");
                }
                map.put(key, v);
            }
            parser.endObject();
            return map;
        }
        throw new IllegalStateException("no JSON mapping for " + type.getTypeName() + " at " + path);
    }

    private void countElement(int indexInContainer, String path) {
        if (indexInContainer >= MAX_ARRAY_ELEMENTS) {
            throw fail(path, "more than " + MAX_ARRAY_ELEMENTS + " elements in one array or object");
        }
        if (--elementBudget < 0) {
            throw fail(path, "more than " + MAX_TOTAL_ELEMENTS + " array elements in the document");
        }
    }

    private void expect(JsonParser.Token token, String path) {
        JsonParser.Token t = at(path, parser::peek);
        if (t != token) {
            throw fail(path, "expected " + token.describe() + ", found " + t.describe());
        }
    }

    private void checkComplete(Shape shape, boolean[] seen, String path) {
        for (int i = 0; i < seen.length; i++) {
            if (!seen[i]) {
                throw fail(path, "missing field '" + shape.names[i] + "'");
            }
        }
    }

    private Record construct(Shape shape, Object[] args, String path) {
        try {
            return (Record) shape.constructor.newInstance(args);
        } catch (InvocationTargetException e) {
            throw new IllegalArgumentException(path + ": rejected by " + shape.type.getSimpleName() + ": "
                    + e.getCause(), e.getCause());
        } catch (InstantiationException | IllegalAccessException e) {
            throw new IllegalStateException("cannot construct " + shape.type.getName(), e);
        }
    }

    /** Runs a parser call, prefixing the path to its error (which already names the position). */
    private <T> T at(String path, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (IllegalArgumentException e) {
            String m = e.getMessage(); // "line L, column C: problem"
            int colon = m.indexOf(": ");
            throw new IllegalArgumentException(colon > 0 && m.startsWith("line ")
                    ? path + " (" + m.substring(0, colon) + ")" + m.substring(colon) : path + ": " + m, e);
        }
    }

    private IllegalArgumentException fail(String path, String message) {
        String where;
        try {
            where = parser.location();
        } catch (IllegalArgumentException e) {
            where = "at a syntax error";
        }
        return new IllegalArgumentException(path + " (" + where + "): " + message);
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "...";
    }

    // ---- record shapes --------------------------------------------------------------------------

    private static Shape shape(Class<?> type) {
        return SHAPES.computeIfAbsent(type, Shape::of);
    }

    /** A record's JSON names, component types and canonical constructor. */
    private record Shape(Class<?> type, String[] names, Type[] types, Constructor<?> constructor,
                         Map<String, Integer> index) {
        static Shape of(Class<?> type) {
            RecordComponent[] components = type.getRecordComponents();
            String[] names = new String[components.length];
            Type[] types = new Type[components.length];
            Class<?>[] raw = new Class<?>[components.length];
            Map<String, Integer> index = new HashMap<>();
            for (int i = 0; i < components.length; i++) {
                names[i] = SnapshotJson.snakeCase(components[i].getName());
                types[i] = components[i].getGenericType();
                raw[i] = components[i].getType();
                index.put(names[i], i);
            }
            try {
                return new Shape(type, names, types, type.getDeclaredConstructor(raw), Map.copyOf(index));
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException("no canonical constructor in " + type.getName(), e);
            }
        }

        int size() {
            return names.length;
        }

        int indexOf(String name) {
            Integer i = index.get(name);
            return i == null ? -1 : i;
        }
    }
}
