package dev.sse.examples;

import dev.sse.core.spi.Backplane;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;

/**
 * Creates the demo's hubs before any servlet starts and ends their streams when the webapp stops. Registered in
 * {@code WEB-INF/web.xml}; the container calls it on its deployment thread.
 *
 * <p>It also hands the origins allowed to publish (the context init-param {@value PublishFilter#ALLOWED_ORIGINS})
 * to the stream servlets as their {@code allowedOrigins} init-param, unless web.xml sets one, so that a page that
 * may publish may also listen.
 */
public final class DemoContextListener implements ServletContextListener {

    /** Context init-param: a Redis URI on which the notification stream is shared with other nodes. */
    public static final String REDIS_PARAMETER = "dev.sse.examples.redis";

    /**
     * Context attribute: a {@link dev.sse.core.spi.Backplane} for the notification stream in place of Redis, set by
     * tests through {@link DemoServer} to stand for a failing or stalled store.
     */
    static final String BACKPLANE_ATTRIBUTE = "dev.sse.examples.backplane";

    /** Called by the container. */
    public DemoContextListener() {
    }

    @Override
    public void contextInitialized(ServletContextEvent sce) {
        ServletContext context = sce.getServletContext();
        Object backplane = context.getAttribute(BACKPLANE_ATTRIBUTE);
        DemoStreams streams = backplane instanceof Backplane b ? DemoStreams.startOn(b)
                : DemoStreams.start(context.getInitParameter(REDIS_PARAMETER));
        streams.hostsStreamsOf(context);
        context.setAttribute(DemoStreams.ATTRIBUTE, streams);
        // The SseServlets find their hubs under these names (their "hub" init-param) when they initialise.
        context.setAttribute(DemoStreams.CLOCK, streams.clock());
        context.setAttribute(DemoStreams.NOTIFICATIONS, streams.notifications());
        String origins = context.getInitParameter(PublishFilter.ALLOWED_ORIGINS);
        if (origins != null && !origins.isBlank()) {
            for (ServletRegistration servlet : context.getServletRegistrations().values()) {
                if ("dev.sse.servlet.SseServlet".equals(servlet.getClassName())) {
                    servlet.setInitParameter("allowedOrigins", origins);
                }
            }
        }
    }

    @Override
    public void contextDestroyed(ServletContextEvent sce) {
        DemoStreams streams = DemoStreams.from(sce.getServletContext());
        if (streams != null) {
            streams.close();
        }
    }
}
