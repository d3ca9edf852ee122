package dev.sse.webflux;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import dev.sse.tck.AdapterFixture;
import dev.sse.tck.RequestCheck;
import dev.sse.tck.RunningServer;
import dev.sse.tck.TckApp;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * Serves the kit's {@link TckApp} on a real Reactor Netty server, as an application would with sse-webflux:
 * {@link SseHandler} on the kit's hub at {@code /events} with the app's settings, and {@link SseStreams} at
 * {@code /stream}; the app's request check answers 401 on both. Closing ends the streams as Boot's lifecycle does
 * ({@code shutdown()} with the settings' drain window and farewell), then stops Netty.
 */
final class WebFluxTckFixture implements AdapterFixture {

    /** Every behaviour, h2c included: Reactor Netty serves it beside HTTP/1.1. */
    @Override
    public java.util.Set<dev.sse.tck.TckFeature> features() {
        return java.util.EnumSet.allOf(dev.sse.tck.TckFeature.class);
    }

    @Override
    public RunningServer start(TckApp app) {
        SseHandler.Builder builder = SseHandler.builder(app.hub()).settings(app.settings());
        Optional<RequestCheck> check = app.requestCheck();
        check.ifPresent(c -> builder.hook((request, topics, attributes) -> allowed(c, request) ? Mono.empty()
                : ServerResponse.status(401).build()));
        SseHandler events = builder.build();
        SseStreams streams = SseStreams.builder().keepAlive(app.hub().keepAliveInterval()).build();
        HandlerFunction<ServerResponse> perRequest = streams.handler((request, stream) -> {
            Map<String, String> query = new LinkedHashMap<>();
            request.queryParams().forEach((k, v) -> query.put(k, v.get(0)));
            app.streams().handle(stream, query);
        });
        HandlerFunction<ServerResponse> guarded = request -> check.isPresent() && !allowed(check.get(), request)
                ? ServerResponse.status(401).build() : perRequest.handle(request);
        // WebFlux answers CORS preflights before any handler; the filter hands /events' to the handler's rules.
        NettyServer server = NettyServer.start(RouterFunctions.route(path(TckApp.EVENTS_PATH), events)
                .andRoute(GET(TckApp.STREAMS_PATH), guarded), PreflightFilter.of(Map.of(TckApp.EVENTS_PATH, events)));
        return new RunningServer() {
            @Override
            public int port() {
                return server.port();
            }

            @Override
            public void close() throws Exception {
                try {
                    Duration window = Duration.ofSeconds(5);
                    events.shutdown().get(window.toMillis() + 3000, TimeUnit.MILLISECONDS);
                    streams.shutdown(Duration.ofMillis(250), null).get(3, TimeUnit.SECONDS);
                } finally {
                    server.close();
                }
            }
        };
    }

    private static boolean allowed(RequestCheck check, ServerRequest request) {
        return check.allows(name -> request.headers().firstHeader(name));
    }
}
