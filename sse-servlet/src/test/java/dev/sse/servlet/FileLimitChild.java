package dev.sse.servlet;

import dev.sse.core.Hub;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;

/**
 * The demo's shape in a JVM of its own, started under {@code ulimit -n} by {@link FileLimitUnderUlimitTest}: two
 * {@link SseServlet}s with no {@code maxConnections} at {@code /a} and {@code /b}, and a plain {@code /stats} that
 * answers with the process's open and maximum file counts. Prints {@code PORT n}, then runs until killed.
 */
public final class FileLimitChild {

    private FileLimitChild() {
    }

    public static void main(String[] args) throws Exception {
        Hub a = Hub.builder().keepAlive(Duration.ofSeconds(1)).build();
        Hub b = Hub.builder().keepAlive(Duration.ofSeconds(1)).build();
        HttpServlet stats = new HttpServlet() {
            private static final long serialVersionUID = 1L;

            @Override
            protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                com.sun.management.UnixOperatingSystemMXBean os =
                        (com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                resp.setContentType("text/plain");
                resp.getWriter().print("open=" + os.getOpenFileDescriptorCount() + " max="
                        + os.getMaxFileDescriptorCount());
            }
        };
        JettyFixture server = new JettyFixture();
        int port = server.startAll(Map.of("/a", SseServlet.builder().hub(a).overloadRetry(Duration.ofSeconds(9)).build(),
                "/b", SseServlet.builder().hub(b).overloadRetry(Duration.ofSeconds(9)).build(), "/stats", stats));
        System.out.println("PORT " + port);
        System.out.flush();
        Thread.currentThread().join();
    }
}
