package dev.sse.servlet;

import dev.sse.core.SseStream;
import dev.sse.tck.AdapterFixture;
import dev.sse.tck.RequestCheck;
import dev.sse.tck.RunningServer;
import dev.sse.tck.TckApp;
import dev.sse.tck.TckFeature;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Serves the kit's {@link TckApp} in a servlet container: {@link SseServlet} on the kit's hub at {@code /events},
 * with the app's settings as its init-params, and {@link SseStreams} at {@code /stream}.
 */
final class ServletTckFixture implements AdapterFixture {

    private final Supplier<ServerFixture> containers;
    private final Set<TckFeature> features;

    ServletTckFixture(Supplier<ServerFixture> containers, Set<TckFeature> features) {
        this.containers = containers;
        this.features = features;
    }

    @Override
    public Set<TckFeature> features() {
        return features;
    }

    @Override
    public RunningServer start(TckApp app) throws Exception {
        SseServlet.Builder builder = SseServlet.builder().hub(app.hub());
        app.requestCheck().ifPresent(check -> builder.hook((req, resp, topics, attributes) -> {
            if (check.allows(req::getHeader)) {
                return true;
            }
            resp.setStatus(HttpServletResponse.SC_UNAUTHORIZED);
            return false;
        }));
        Map<String, HttpServlet> servlets = new LinkedHashMap<>();
        servlets.put(TckApp.EVENTS_PATH, new WithInitParams(builder.build(), app.settings()));
        servlets.put(TckApp.STREAMS_PATH, new StreamServlet(app));
        ServerFixture container = containers.get();
        int port = container.startAll(servlets);
        return new RunningServer() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void close() throws Exception {
                container.stopGracefully();
            }
        };
    }

    /** Gives a servlet init-params without a deployment descriptor, as a container would from web.xml. */
    private static final class WithInitParams extends HttpServlet {
        private final HttpServlet inner;
        private final Map<String, String> params;

        WithInitParams(HttpServlet inner, Map<String, String> params) {
            this.inner = inner;
            this.params = params;
        }

        @Override
        public void init(ServletConfig config) throws ServletException {
            super.init(config);
            inner.init(new ServletConfig() {
                @Override
                public String getServletName() {
                    return config.getServletName();
                }

                @Override
                public ServletContext getServletContext() {
                    return config.getServletContext();
                }

                @Override
                public String getInitParameter(String name) {
                    String v = params.get(name);
                    return v != null ? v : config.getInitParameter(name);
                }

                @Override
                public Enumeration<String> getInitParameterNames() {
                    java.util.Set<String> names = new java.util.LinkedHashSet<>(params.keySet());
                    names.addAll(Collections.list(config.getInitParameterNames()));
                    return Collections.enumeration(names);
                }
            });
        }

        @Override
        protected void service(HttpServletRequest req, HttpServletResponse resp) throws ServletException, IOException {
            inner.service(req, resp);
        }

        @Override
        public void destroy() {
            inner.destroy();
        }
    }

    /** The per-request stream endpoint an application writes with {@link SseStreams}. */
    private static final class StreamServlet extends HttpServlet {
        private final TckApp app;

        StreamServlet(TckApp app) {
            this.app = app;
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            Optional<RequestCheck> check = app.requestCheck();
            if (check.isPresent() && !check.get().allows(req::getHeader)) {
                resp.sendError(HttpServletResponse.SC_UNAUTHORIZED);
                return;
            }
            Map<String, String> query = new LinkedHashMap<>();
            req.getParameterMap().forEach((k, v) -> query.put(k, v[0]));
            SseStream stream = SseStreams.start(req, resp);
            app.streams().handle(stream, query);
        }
    }
}
