package dev.sse.servlet.readme;

import static java.util.concurrent.TimeUnit.SECONDS;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.servlet.SseServlet;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** README, "Quick start": the listener, verbatim (see ReadmeSnippetsTest). */
public class Startup implements ServletContextListener {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    public void contextInitialized(ServletContextEvent e) {
        Hub hub = SseServlet.hub(e.getServletContext(), "events");    // the hub the web.xml above configures
        scheduler.scheduleAtFixedRate(() -> hub.broadcast(SseEvent.of("update", "{\"n\":1}")), 1, 1, SECONDS);
    }
}
