package dev.sse.jackson;

import dev.sse.core.DataCodec;
import java.lang.reflect.Type;
import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Event data as JSON through Jackson 3: give it the application's own {@link JsonMapper} (the one Spring Boot 4
 * configures), so events are written as the rest of the application writes JSON.
 *
 * <pre>{@code
 * DataCodec json = JacksonCodec.of(jsonMapper);
 * hub.broadcast(json.event("price", new Price("EUR", 1.0842)));
 * }</pre>
 *
 * <p>Immutable and thread-safe, as the mapper is.
 */
public final class JacksonCodec implements DataCodec {

    private final ObjectMapper mapper;

    private JacksonCodec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * A codec over a mapper.
     *
     * @param mapper the application's mapper
     * @return the codec
     */
    public static JacksonCodec of(ObjectMapper mapper) {
        return new JacksonCodec(Objects.requireNonNull(mapper, "mapper"));
    }

    /** @return a codec over a {@link JsonMapper} with Jackson's defaults */
    public static JacksonCodec create() {
        return of(JsonMapper.builder().build());
    }

    @Override
    public String encode(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("value of type " + typeName(value) + " cannot be written as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    @Override
    public <T> T decode(String data, Type type) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(type, "type");
        try {
            return mapper.readValue(data, mapper.getTypeFactory().constructType(type));
        } catch (JacksonException e) {
            throw new IllegalArgumentException("data is not JSON of type " + type.getTypeName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    private static String typeName(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    @Override
    public String toString() {
        return "JacksonCodec{" + mapper.getClass().getSimpleName() + "}";
    }
}
