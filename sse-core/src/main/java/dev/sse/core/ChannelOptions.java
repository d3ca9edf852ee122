package dev.sse.core;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How to open an {@link EventChannel}: where to resume, which topics, what to send first, what to attach.
 *
 * <pre>{@code
 * ChannelOptions options = ChannelOptions.builder().lastEventId(header).topics(Set.of("news")).build();
 * EventChannel channel = hub.open(transport, options);
 * }</pre>
 *
 * <p>Immutable.
 */
public final class ChannelOptions {

    private static final ChannelOptions DEFAULTS = builder().build();

    private final String lastEventId;
    private final Set<String> topics;
    private final SseEvent initialEvent;
    private final Map<String, Object> attributes;

    private ChannelOptions(Builder b) {
        this.lastEventId = b.lastEventId;
        this.topics = Set.copyOf(b.topics);
        this.initialEvent = b.initialEvent;
        this.attributes = Map.copyOf(b.attributes);
    }

    /** @return options for a fresh channel with no topics, no resume and no initial event */
    public static ChannelOptions defaults() {
        return DEFAULTS;
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the id to resume after, or {@code null} */
    public String lastEventId() {
        return lastEventId;
    }

    /** @return the topics to subscribe to */
    public Set<String> topics() {
        return topics;
    }

    /** @return the event sent before anything else (e.g. a {@code retry:} hint), or {@code null} */
    public SseEvent initialEvent() {
        return initialEvent;
    }

    /** @return the attributes, unmodifiable */
    public Map<String, Object> attributes() {
        return attributes;
    }

    /**
     * Builds {@link ChannelOptions}.
     *
     * <pre>{@code
     * ChannelOptions o = ChannelOptions.builder().attribute("user", principal).build();
     * }</pre>
     */
    public static final class Builder {
        private String lastEventId;
        private Set<String> topics = Set.of();
        private SseEvent initialEvent;
        private final Map<String, Object> attributes = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Resumes after this id: the hub replays what its history holds after it, then goes live.
         *
         * @param lastEventId the client's {@code Last-Event-ID}, or {@code null} for a fresh connection
         * @return this builder
         */
        public Builder lastEventId(String lastEventId) {
            this.lastEventId = lastEventId;
            return this;
        }

        /**
         * Subscribes to topics from the start, so that no topic broadcast slips between open and subscribe.
         *
         * @param topics the topic names
         * @return this builder
         */
        public Builder topics(Set<String> topics) {
            for (String t : topics) {
                Objects.requireNonNull(t, "topics must not contain null");
            }
            this.topics = topics;
            return this;
        }

        /**
         * An event sent first, before any replay, e.g. one holding only a {@code retry}.
         *
         * @param initialEvent the event, or {@code null}
         * @return this builder
         */
        public Builder initialEvent(SseEvent initialEvent) {
            this.initialEvent = initialEvent;
            return this;
        }

        /**
         * Attaches a value the application can read with {@link EventChannel#attribute(String)}.
         *
         * @param name the name
         * @param value the value, not {@code null}
         * @return this builder
         */
        public Builder attribute(String name, Object value) {
            attributes.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** @return the options */
        public ChannelOptions build() {
            return new ChannelOptions(this);
        }
    }
}
