package dev.sse.core.http;

import java.util.Objects;
import java.util.function.BiFunction;

/**
 * One row of the settings table ({@link SseSettings}): a name every adapter uses as it is (a servlet init-param, the
 * key a WebFlux or Vert.x adapter reads), its type, default, range, parser, scope, and one line of documentation.
 * Immutable.
 *
 * @param <T> the parsed value's type
 */
public final class Setting<T> {

    /** What a setting configures. */
    public enum Scope {
        /** The hub an adapter builds for itself (ignored for a hub given in code). */
        HUB,
        /** The stream endpoint. */
        ENDPOINT,
        /** Publishing over HTTP ({@code POST}). */
        PUBLISH
    }

    private final String name;
    private final String type;
    private final T defaultValue;
    private final String defaultText;
    private final String range;
    private final Scope scope;
    private final String doc;
    private final String bootProperty;
    private final BiFunction<String, String, T> parser;

    Setting(String name, String type, T defaultValue, String defaultText, String range, Scope scope, String doc,
            String bootProperty, BiFunction<String, String, T> parser) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = type;
        this.defaultValue = defaultValue;
        this.defaultText = defaultText;
        this.range = range;
        this.scope = scope;
        this.doc = doc;
        this.bootProperty = bootProperty;
        this.parser = parser;
    }

    /** @return the name, e.g. {@code keepAlive} */
    public String name() {
        return name;
    }

    /** @return the type as the documentation names it, e.g. {@code duration} */
    public String type() {
        return type;
    }

    /** @return the value when the setting is absent; {@code null} where absent means "none" */
    public T defaultValue() {
        return defaultValue;
    }

    /** @return the default as the documentation shows it */
    public String defaultText() {
        return defaultText;
    }

    /** @return the values accepted, as the documentation shows them */
    public String range() {
        return range;
    }

    /** @return what the setting configures */
    public Scope scope() {
        return scope;
    }

    /** @return one line of documentation */
    public String doc() {
        return doc;
    }

    /**
     * The Spring Boot property that carries this setting, e.g. {@code sse.keep-alive}.
     *
     * @return the property, or {@code null} where Boot sets it another way (said in {@link #doc()})
     */
    public String bootProperty() {
        return bootProperty;
    }

    /**
     * Parses a value as it arrives (an init-param, a property), trimmed; blank means absent.
     *
     * @param raw the text, or {@code null}
     * @param label how the source is called in the message, e.g. {@code init-param}
     * @return the value, or the default when {@code raw} is absent or blank
     * @throws IllegalArgumentException naming {@code label name}, the rule and the value
     */
    public T parse(String raw, String label) {
        return parseNamed(raw, label + " " + name);
    }

    /**
     * Parses a value that messages call by another name (a Boot property, say).
     *
     * @param raw the text, or {@code null}
     * @param what how the value is called in the message, e.g. {@code sse.keep-alive}
     * @return the value, or the default when {@code raw} is absent or blank
     * @throws IllegalArgumentException naming {@code what}, the rule and the value
     */
    public T parseNamed(String raw, String what) {
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        return parser.apply(raw, what);
    }

    /**
     * Checks a value given in code (a builder's) against the same rule as the parser: numbers and durations by their
     * range. Other types are valid once built.
     *
     * @param value the value
     * @return the value
     * @throws IllegalArgumentException naming the setting, the rule and the value
     * @throws NullPointerException for a {@code null} number or duration where the default is not {@code null}
     */
    public T check(T value) {
        if (value == null) {
            if (defaultValue != null) {
                throw new NullPointerException(name);
            }
            return null;
        }
        if (value instanceof Number || value instanceof java.time.Duration) {
            parser.apply(value.toString(), name);
        }
        return value;
    }

    @Override
    public String toString() {
        return name;
    }
}
