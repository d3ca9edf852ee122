package dev.sse.examples.shared;

import dev.sse.core.Hub;
import dev.sse.core.HubStats;
import java.util.Map;

/**
 * The body of every demo's {@code GET /api/v1/stats}: open SSE connections across the named hubs, each hub's
 * counters, and the chat's:
 *
 * <pre>
 * {"connections":3,"eventsBroadcast":130,
 *  "streams":{"clock":{"connections":2,"eventsBroadcast":128,"framesSent":250,"bytesSent":24000,"dropped":0},
 *             "notifications":{...}},
 *  "chat":{"active":1,"completed":12,"cancelled":2}}
 * </pre>
 *
 * Counters are read one after another, not as one atomic snapshot. Stateless.
 *
 * <pre>{@code
 * String body = DemoStats.json(Map.of("clock", clock, "notifications", notifications), chat.statsJson());
 * }</pre>
 */
public final class DemoStats {

    /** The chat's counters before any chat has run. */
    public static final String NO_CHAT = "{\"active\":0,\"completed\":0,\"cancelled\":0}";

    private DemoStats() {
    }

    /**
     * @param hubs the hubs to report, by stream name, in the order to list them
     * @param chatJson the chat's counters as a JSON object, e.g. {@link ChatGenerator#statsJson()}
     * @return the JSON text
     */
    public static String json(Map<String, Hub> hubs, String chatJson) {
        long connections = 0;
        long events = 0;
        StringBuilder streams = new StringBuilder("{");
        for (Map.Entry<String, Hub> e : hubs.entrySet()) {
            Hub hub = e.getValue();
            HubStats s = hub.stats();
            int open = hub.channelCount();
            connections += open;
            events += s.eventsBroadcast();
            if (streams.length() > 1) {
                streams.append(',');
            }
            streams.append(Json.quote(e.getKey())).append(":{\"connections\":").append(open)
                    .append(",\"eventsBroadcast\":").append(s.eventsBroadcast())
                    .append(",\"framesSent\":").append(s.framesSent())
                    .append(",\"bytesSent\":").append(s.bytesSent())
                    .append(",\"dropped\":").append(s.dropped())
                    .append('}');
        }
        streams.append('}');
        return "{\"connections\":" + connections + ",\"eventsBroadcast\":" + events + ",\"streams\":" + streams
                + ",\"chat\":" + chatJson + "}";
    }
}
