package dev.sse.redis;

import dev.sse.core.SseEvent;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How an event is kept in a stream entry: one field per event field that is present, so that absent data (a frame
 * without a {@code data} line) and empty data ({@code data:} alone) stay distinct. Text goes as UTF-8, an unpaired
 * surrogate as U+FFFD, exactly as the encoder sends it to clients.
 *
 * <pre>
 * XADD sse:events MAXLEN ~ 10000 * topic news event update data {"n":1}
 * </pre>
 */
final class EntryCodec {

    static final String TOPIC = "topic";
    static final String EVENT = "event";
    static final String DATA = "data";
    static final String RETRY = "retry";
    static final String COMMENT = "comment";

    private EntryCodec() {
    }

    static Map<String, String> encode(String topic, SseEvent event) {
        Map<String, String> fields = new LinkedHashMap<>();
        put(fields, TOPIC, topic);
        put(fields, EVENT, event.event());
        put(fields, DATA, event.data());
        if (event.retry() != null) {
            fields.put(RETRY, Long.toString(event.retry().toMillis()));
        }
        put(fields, COMMENT, event.comment());
        return fields;
    }

    /**
     * Rebuilds the event of an entry; an event with data takes the entry id as its id, one without (a comment, a
     * bare {@code retry}) has none, as on a hub without a backplane.
     *
     * @throws IllegalArgumentException if the entry holds no event field, or an invalid one
     */
    static SseEvent decode(String entryId, Map<String, String> fields) {
        SseEvent.Builder b = SseEvent.builder();
        String data = fields.get(DATA);
        if (data != null) {
            b.data(data).id(entryId);
        }
        String event = fields.get(EVENT);
        if (event != null) {
            b.event(event);
        }
        String retry = fields.get(RETRY);
        if (retry != null) {
            try {
                b.retry(Duration.ofMillis(Long.parseLong(retry)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("field retry must be milliseconds (was \"" + retry + "\")", e);
            }
        }
        String comment = fields.get(COMMENT);
        if (comment != null) {
            b.comment(comment);
        }
        return b.build();
    }

    static String topic(Map<String, String> fields) {
        return fields.get(TOPIC);
    }

    private static void put(Map<String, String> fields, String name, String value) {
        if (value != null) {
            fields.put(name, wellFormed(value));
        }
    }

    /**
     * The text with each unpaired surrogate replaced by U+FFFD, as the encoder writes it to a client: the UTF-8 codec
     * on the way to Redis would write '?' instead, and other nodes would send different bytes than this one.
     */
    static String wellFormed(String s) {
        StringBuilder out = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean paired = Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1));
            if (paired) {
                if (out != null) {
                    out.append(c).append(s.charAt(i + 1));
                }
                i++;
            } else if (Character.isSurrogate(c)) {
                if (out == null) {
                    out = new StringBuilder(s.length()).append(s, 0, i);
                }
                out.append('\uFFFD');
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? s : out.toString();
    }
}
