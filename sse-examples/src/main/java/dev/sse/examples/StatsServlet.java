package dev.sse.examples;

import dev.sse.core.Hub;
import dev.sse.examples.shared.DemoStats;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/stats}: open SSE connections across the streams, and each stream's counters:
 *
 * <pre>
 * {"connections":3,"eventsBroadcast":130,
 *  "streams":{"clock":{"connections":2,"eventsBroadcast":128,"framesSent":250,"bytesSent":24000,"dropped":0},
 *             "notifications":{...}},
 *  "chat":{"active":1,"completed":12,"cancelled":2}}
 * </pre>
 *
 * <p>Init-param {@code hubs}: comma-separated servlet context attributes naming the hubs to report, which are also
 * the stream names in the output. {@code chat} counts the answers of {@code POST /api/v1/chat} (see
 * {@link dev.sse.examples.shared.ChatGenerator}): streaming now, ended with their {@code done} event, ended before it.
 * Counters are read one after another, not as one atomic snapshot.
 */
public final class StatsServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    private transient List<String> hubs;

    /** Called by the container. */
    public StatsServlet() {
    }

    @Override
    public void init() throws ServletException {
        String names = getInitParameter("hubs");
        if (names == null || names.isBlank()) {
            throw new ServletException("StatsServlet needs the init-param hubs");
        }
        hubs = List.of(names.trim().split("\\s*,\\s*"));
    }

    @Override
    protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        Map<String, Hub> named = new LinkedHashMap<>();
        for (String name : hubs) {
            if (getServletContext().getAttribute(name) instanceof Hub hub) {
                named.put(name, hub);
            }
        }
        DemoStreams demo = DemoStreams.from(getServletContext());
        String body = DemoStats.json(named, demo == null ? DemoStats.NO_CHAT : demo.chat().statsJson());
        resp.setContentType("application/json;charset=utf-8");
        resp.setHeader("Cache-Control", "no-store");
        resp.getOutputStream().write(body.getBytes(StandardCharsets.UTF_8));
    }
}
