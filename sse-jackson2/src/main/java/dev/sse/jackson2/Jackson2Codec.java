package dev.sse.jackson2;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sse.core.DataCodec;
import java.lang.reflect.Type;
import java.util.Objects;

/**
 * Event data as JSON through Jackson 2: give it the application's own {@link ObjectMapper} (the one Spring Boot 3
 * configures), so events are written as the rest of the application writes JSON.
 *
 * <pre>{@code
 * DataCodec json = Jackson2Codec.of(objectMapper);
 * hub.broadcast(json.event("price", new Price("EUR", 1.0842)));
 * }</pre>
 *
 * <p>Immutable and thread-safe, as a configured mapper is.
 */
public final class Jackson2Codec implements DataCodec {

    private final ObjectMapper mapper;

    private Jackson2Codec(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /**
     * A codec over a mapper; configure the mapper before, never after.
     *
     * @param mapper the application's mapper
     * @return the codec
     */
    public static Jackson2Codec of(ObjectMapper mapper) {
        return new Jackson2Codec(Objects.requireNonNull(mapper, "mapper"));
    }

    /** @return a codec over an {@link ObjectMapper} with Jackson's defaults and the modules found on the class path */
    public static Jackson2Codec create() {
        return of(new ObjectMapper().findAndRegisterModules());
    }

    @Override
    public String encode(Object value) {
        try {
            return mapper.writeValueAsString(value);
        } catch (JsonProcessingException e) {
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
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("data is not JSON of type " + type.getTypeName() + ": "
                    + e.getOriginalMessage(), e);
        }
    }

    private static String typeName(Object value) {
        return value == null ? "null" : value.getClass().getName();
    }

    @Override
    public String toString() {
        return "Jackson2Codec{" + mapper.getClass().getSimpleName() + "}";
    }
}
