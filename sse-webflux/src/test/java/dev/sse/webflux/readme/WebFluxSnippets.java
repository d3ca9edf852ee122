package dev.sse.webflux.readme;

import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.webflux.PreflightFilter;
import dev.sse.webflux.PublishPolicy;
import dev.sse.webflux.SseHandler;
import dev.sse.webflux.SseStreams;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import reactor.core.publisher.Mono;

/** The README's WebFlux snippets, compiled so that they stay true. */
final class WebFluxSnippets {

    private final Hub hub = Hub.create();
    private final SseHandler events = SseHandler.builder(hub).retry(Duration.ofSeconds(3), Duration.ofSeconds(1))
            .allowedTopics(Set.of("*")).maxConnections(10_000).publishing(PublishPolicy.open()).build();
    private final SseStreams streams = SseStreams.create();

    RouterFunction<ServerResponse> routes() {
        return RouterFunctions.route(path("/events"), events)
                .andRoute(POST("/chat"), streams.handler((request, stream) -> generate(stream)));
    }

    WebFilter preflights() {
        return PreflightFilter.of(Map.of("/events", events));
    }

    RouterFunction<ServerResponse> routerForm(Hub hub) {
        SseHandler events = SseHandler.builder(hub).retry(Duration.ofSeconds(3), Duration.ofSeconds(1))
                .allowedTopics(Set.of("*")).maxConnections(10_000).build();
        RouterFunction<ServerResponse> routes = RouterFunctions.route(path("/events"), events);
        return routes;
    }

    @GetMapping("/events")
    Mono<Void> events(ServerWebExchange exchange) {
        return events.stream(exchange);
    }

    RouterFunction<ServerResponse> perRequestForm() {
        SseStreams streams = SseStreams.create();
        RouterFunction<ServerResponse> chatRoute = RouterFunctions.route(POST("/chat"),
                streams.handler((request, stream) -> generate(stream)));   // stream.send / complete / fail / onClose
        return chatRoute;
    }

    @PostMapping("/chat")
    Mono<Void> chat(ServerWebExchange exchange) {
        return streams.open(exchange, stream -> generate(stream));
    }

    private static void generate(SseStream stream) {
        stream.send(SseEvent.data("token"));
        stream.complete(SseEvent.data("[DONE]"));
    }
}
