package dev.sse.vertx;

import dev.sse.tck.AdapterFixture;
import dev.sse.tck.RunningServer;
import dev.sse.tck.TckApp;
import dev.sse.tck.TckFeature;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Serves the kit's {@link TckApp} on a real Vert.x server: {@link SseHandler} on the kit's hub at {@code /events}
 * with the app's settings, {@link SseStreams} at {@code /stream}, the request check as a route handler before both
 * (the Vert.x way to guard a route).
 */
final class VertxTckFixture implements AdapterFixture {

    @Override
    public Set<TckFeature> features() {
        return EnumSet.allOf(TckFeature.class);
    }

    @Override
    public RunningServer start(TckApp app) throws Exception {
        Vertx vertx = Vertx.vertx();
        SseHandler events = SseHandler.builder(app.hub()).settings(app.settings()).build();
        Router router = Router.router(vertx);
        Handler<RoutingContext> check = rc -> {
            if (app.requestCheck().isEmpty() || app.requestCheck().get().allows(rc.request()::getHeader)) {
                rc.next();
            } else {
                rc.response().setStatusCode(401).end();
            }
        };
        router.route(TckApp.EVENTS_PATH).handler(check).handler(events);
        router.get(TckApp.STREAMS_PATH).handler(check).handler(rc -> {
            Map<String, String> query = new LinkedHashMap<>();
            rc.queryParams().forEach(e -> query.putIfAbsent(e.getKey(), e.getValue()));
            app.streams().handle(SseStreams.start(rc), query);
        });
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router).listen().await(10, TimeUnit.SECONDS);
        int port = server.actualPort();
        return new RunningServer() {
            @Override
            public int port() {
                return port;
            }

            @Override
            public void close() throws Exception {
                try {
                    events.shutdown().get(30, TimeUnit.SECONDS);
                } finally {
                    vertx.close().await(10, TimeUnit.SECONDS);
                }
            }
        };
    }
}
