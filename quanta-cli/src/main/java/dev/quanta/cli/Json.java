package dev.quanta.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** Writes command results as pretty JSON. */
final class Json {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {}

    /** One JSON object per item, with the fields {@code fields} puts into it, in the order it puts them. */
    static <T> List<Map<String, Object>> rows(Iterable<T> items, BiConsumer<T, Map<String, Object>> fields) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (T item : items) {
            Map<String, Object> row = new LinkedHashMap<>();
            fields.accept(item, row);
            rows.add(row);
        }
        return rows;
    }

    static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write JSON", e);
        }
    }
}
