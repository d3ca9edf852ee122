package dev.sse.examples;

import dev.sse.core.spi.Backplane;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Creates the demo's hubs before any servlet starts and ends their streams when the webapp stops. Registered in
 * {@code WEB-INF/web.xml}; the container calls it on its deployment thread.
 *
 * <p>It also hands the origins allowed to publish (the context init-param {@value #ALLOWED_ORIGINS}) to the stream
 * servlets as their {@code allowedOrigins} init-param, so that a page that may publish (by {@code POST} to the
 * notification servlet, whose publishing is {@code open} in web.xml) may also listen; the chat reads them too.
 */
public final class DemoContextListener implements ServletContextListener {

    /** Context init-param: a Redis URI on which the notification stream is shared with other nodes. */
    public static final String REDIS_PARAMETER = "dev.sse.examples.redis";

    /** Context init-param: the origins, other than the server's own, whose pages may publish, chat and listen. */
    public static final String ALLOWED_ORIGINS = "dev.sse.examples.allowedOrigins";

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
        String origins = context.getInitParameter(ALLOWED_ORIGINS);
        if (origins != null && !origins.isBlank()) {
            for (ServletRegistration servlet : context.getServletRegistrations().values()) {
                if ("dev.sse.servlet.SseServlet".equals(servlet.getClassName())) {
                    servlet.setInitParameter("allowedOrigins", origins);
                }
            }
        }
    }

    /**
     * @param context the demo's context
     * @return the origins of {@value #ALLOWED_ORIGINS}
     */
    static Set<String> allowedOrigins(ServletContext context) {
        return parse(context.getInitParameter(ALLOWED_ORIGINS));
    }

    /** Parses a comma-separated list of origins; trailing slashes are dropped, since an Origin never has one. */
    static Set<String> parse(String list) {
        if (list == null || list.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(list.split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .map(s -> s.endsWith("/") ? s.substring(0, s.length() - 1) : s)
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public void contextDestroyed(ServletContextEvent sce) {
        DemoStreams streams = DemoStreams.from(sce.getServletContext());
        if (streams != null) {
            streams.close();
        }
    }
}
