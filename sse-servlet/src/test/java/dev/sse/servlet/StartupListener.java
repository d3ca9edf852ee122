package dev.sse.servlet;

import dev.sse.core.Hub;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;

/**
 * The natural application code: a listener that asks for the hub at startup, before any servlet's {@code init},
 * and keeps it where the test can see which hub it got.
 */
public final class StartupListener implements ServletContextListener {

    static final String SEEN = "test.listener.hub";

    @Override
    public void contextInitialized(ServletContextEvent event) {
        Hub hub = SseServlet.hub(event.getServletContext(), "test.hub");
        event.getServletContext().setAttribute(SEEN, hub);
    }
}
