package dev.sse.servlet;

import dev.sse.core.Hub;
import dev.sse.core.http.HubFactory;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletRegistration;
import java.util.Map;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hubs a web application publishes in its {@link ServletContext}, one per attribute name: found, or built from
 * the init-params of the {@link SseServlet} that streams it, whichever side asks first. So an application's
 * {@code ServletContextListener} may call {@link SseServlet#hub(ServletContext, String)} before the servlet's
 * {@code init} (the usual order) and still get the hub that the servlet's web.xml configures.
 *
 * <p>A hub built here is marked in the context as built for the servlet; the servlet that streams it takes it over
 * and shuts it down in its {@code destroy}. A hub the application put there itself is never closed by a servlet.
 * Calls are serialised on this class, so two threads never build two hubs for one name.
 */
final class ContextHubs {

    private static final Logger LOG = LoggerFactory.getLogger(ContextHubs.class);
    private static final String BUILT_PREFIX = "dev.sse.servlet.built-for-servlet:";

    private ContextHubs() {
    }

    /** The hub under {@code name}, built from the matching servlet registration's init-params if there is none. */
    static Hub findOrBuild(ServletContext context, String name) {
        synchronized (ContextHubs.class) {
            Object value = context.getAttribute(name);
            if (value instanceof Hub) {
                return (Hub) value;
            }
            if (value != null) {
                throw new IllegalStateException("servlet context attribute \"" + name + "\" holds a "
                        + value.getClass().getName() + ", not a dev.sse.core.Hub");
            }
            Settings settings = new Settings();
            Map<String, String> params = registrationParams(context, name);
            settings.apply(params::get);
            Hub hub = build(settings);
            context.setAttribute(name, hub);
            context.setAttribute(BUILT_PREFIX + name, Boolean.TRUE);
            LOG.debug("hub \"{}\" built from init-params {}", name, params.keySet());
            return hub;
        }
    }

    /**
     * Resolves the hub a servlet streams at its {@code init}.
     *
     * @param given the hub given in code, or {@code null}
     * @param hubParams the hub-building init-params present on this servlet, for the warning when they cannot apply
     * @return the hub, and whether this servlet owns (and so shuts down) it
     */
    static Resolved forServlet(ServletContext context, Settings settings, Hub given, TreeSet<String> hubParams,
                               String servletName) {
        String name = settings.hubAttribute;
        synchronized (ContextHubs.class) {
            if (given != null) {
                if (context.getAttribute(name) == null) {
                    context.setAttribute(name, given);
                }
                warnIgnored(hubParams, servletName, "it streams a hub given in code");
                return new Resolved(given, false);
            }
            Object existing = context.getAttribute(name);
            if (existing == null) {
                Hub hub = build(settings);
                context.setAttribute(name, hub);
                return new Resolved(hub, true);
            }
            if (!(existing instanceof Hub)) {
                throw new IllegalStateException("servlet context attribute \"" + name + "\" holds a "
                        + existing.getClass().getName() + ", not a dev.sse.core.Hub");
            }
            boolean builtForServlet = context.getAttribute(BUILT_PREFIX + name) != null;
            if (builtForServlet) {
                context.removeAttribute(BUILT_PREFIX + name);
            } else {
                warnIgnored(hubParams, servletName, "the application put its own hub under \"" + name + "\"");
            }
            return new Resolved((Hub) existing, builtForServlet);
        }
    }

    static Hub build(Settings s) {
        return HubFactory.build(s.hubValues(), s.hubAttribute);
    }

    private static void warnIgnored(TreeSet<String> hubParams, String servletName, String why) {
        if (!hubParams.isEmpty()) {
            LOG.warn("SseServlet {}: init-params {} are ignored because {}; configure that hub where it is built",
                    servletName, hubParams, why);
        }
    }

    private static Map<String, String> registrationParams(ServletContext context, String name) {
        try {
            for (ServletRegistration r : context.getServletRegistrations().values()) {
                if (SseServlet.class.getName().equals(r.getClassName())) {
                    Map<String, String> params = r.getInitParameters();
                    String hub = params.getOrDefault("hub", SseServlet.DEFAULT_HUB_ATTRIBUTE).trim();
                    if (hub.equals(name)) {
                        return params;
                    }
                }
            }
        } catch (UnsupportedOperationException e) {
            LOG.warn("hub \"{}\" built with defaults: this listener may not read servlet registrations ({}); "
                    + "declare it in web.xml, or build the hub yourself", name, e.getMessage());
        }
        return Map.of();
    }

    /** A servlet's hub and whether the servlet shuts it down. */
    record Resolved(Hub hub, boolean owned) {
    }
}
