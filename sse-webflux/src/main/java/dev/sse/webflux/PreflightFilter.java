package dev.sse.webflux;

import java.util.Map;
import org.springframework.http.HttpMethod;
import org.springframework.web.cors.reactive.CorsUtils;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Hands CORS preflights ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}) for the given
 * paths to their handlers. WebFlux's handler mappings answer every preflight themselves, from Spring's CORS
 * configuration, so without this a publishing {@link SseHandler} (or a handler using
 * {@link RequestBodies#preflight}) never sees one and the publishing origin rules cannot answer it.
 *
 * <pre>{@code
 * @Bean WebFilter ssePreflights(SseHandler events) {
 *     return PreflightFilter.of(Map.of("/events", events));
 * }
 * }</pre>
 */
public final class PreflightFilter implements WebFilter {

    private final Map<String, HandlerFunction<ServerResponse>> handlers;

    private PreflightFilter(Map<String, HandlerFunction<ServerResponse>> handlers) {
        this.handlers = Map.copyOf(handlers);
    }

    /**
     * @param handlers the handler answering the preflights of each path (exact request paths)
     * @return the filter
     */
    public static PreflightFilter of(Map<String, ? extends HandlerFunction<ServerResponse>> handlers) {
        return new PreflightFilter(Map.copyOf(handlers));
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        if (exchange.getRequest().getMethod() != HttpMethod.OPTIONS || !CorsUtils.isPreFlightRequest(exchange.getRequest())) {
            return chain.filter(exchange);
        }
        HandlerFunction<ServerResponse> handler = handlers.get(exchange.getRequest().getPath().value());
        if (handler == null) {
            return chain.filter(exchange);
        }
        ServerRequest request = ServerRequest.create(exchange, HandlerStrategies.withDefaults().messageReaders());
        try {
            return handler.handle(request).flatMap(response -> response.writeTo(exchange, Contexts.DEFAULT));
        } catch (Exception e) {
            return Mono.error(e);
        }
    }
}
