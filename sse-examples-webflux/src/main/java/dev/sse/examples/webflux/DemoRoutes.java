package dev.sse.examples.webflux;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.path;

import dev.sse.core.Hub;
import dev.sse.examples.shared.BadRequest;
import dev.sse.examples.shared.ChatGenerator;
import dev.sse.examples.shared.ChatRequest;
import dev.sse.examples.shared.DemoStats;
import dev.sse.examples.shared.Json;
import dev.sse.webflux.PreflightFilter;
import dev.sse.webflux.PublishPolicy;
import dev.sse.webflux.RequestBodies;
import dev.sse.webflux.SseHandler;
import dev.sse.webflux.SseStreams;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Mono;

/**
 * The demo's HTTP API (sse-examples/README.md's table) as one {@code RouterFunction}: the page is Boot's static
 * {@code index.html}; the streams are {@link SseHandler}s; the chat answers on {@link SseStreams}.
 */
final class DemoRoutes {

    private static final String CHAT_ALLOW = "POST, OPTIONS";

    private final Hub clock;
    private final Hub notifications;
    private final SseHandler clockStream;
    private final SseHandler notificationStream;
    private final SseStreams streams;
    private final ChatGenerator chat;
    private final RequestBodies prompts;

    DemoRoutes(Hub clock, Hub notifications, SseStreams streams, ChatGenerator chat, DemoOrigins origins) {
        this.clock = clock;
        this.notifications = notifications;
        this.streams = streams;
        this.chat = chat;
        // The demo's HTTP contract names exactly "no-cache"; the library's default adds no-transform.
        this.clockStream = SseHandler.builder(clock).cacheControl("no-cache")
                .allowedOrigins(origins.origins(), false).build();
        this.notificationStream = SseHandler.builder(notifications).cacheControl("no-cache")
                .allowedOrigins(origins.origins(), false)
                .publishing(PublishPolicy.open())
                .requestBodies(RequestBodies.builder().allowedOrigins(origins.origins(), false).build()).build();
        this.prompts = RequestBodies.builder().maxBodyBytes(ChatRequest.MAX_PROMPT_BYTES)
                .allowedOrigins(origins.origins(), false).build();
    }

    /** @return the preflights of the two endpoints that take a {@code POST}, which WebFlux would answer itself */
    PreflightFilter preflights() {
        return PreflightFilter.of(Map.of("/api/v1/notifications", notificationStream,
                "/api/v1/chat", (HandlerFunction<ServerResponse>) this::chatMethods));
    }

    RouterFunction<ServerResponse> routes() {
        return RouterFunctions.route(GET("/api/v1/"), this::greeting)
                .andRoute(GET("/api/v1/stats"), this::stats)
                .andRoute(path("/api/v1/sse"), clockStream)
                .andRoute(path("/api/v1/notifications"), notificationStream)
                .andRoute(path("/api/v1/chat"), this::chatMethods);
    }

    private Mono<ServerResponse> greeting(ServerRequest request) {
        return ServerResponse.ok().contentType(new MediaType("text", "plain", java.nio.charset.StandardCharsets.UTF_8))
                .bodyValue("Hello from the dev.sse demo on Spring WebFlux!\n\nGET /api/v1/sse for the clock, "
                        + "/api/v1/notifications for notifications; POST to /api/v1/notifications to send one; POST a "
                        + "prompt to /api/v1/chat?tokens=N&interval=MS to have its words streamed back.\n");
    }

    private Mono<ServerResponse> stats(ServerRequest request) {
        Map<String, Hub> named = new LinkedHashMap<>();
        named.put("clock", clock);
        named.put("notifications", notifications);
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).header(HttpHeaders.CACHE_CONTROL, "no-store")
                .bodyValue(DemoStats.json(named, chat.statsJson()));
    }

    private Mono<ServerResponse> chatMethods(ServerRequest request) {
        switch (request.method().name()) {
            case "POST":
                return chat(request);
            case "OPTIONS":
                return prompts.preflight(request, CHAT_ALLOW, "chat");
            default:
                return ServerResponse.status(HttpStatus.METHOD_NOT_ALLOWED).header(HttpHeaders.ALLOW, CHAT_ALLOW)
                        .contentType(MediaType.APPLICATION_JSON).bodyValue(Json.error(request.method().name()
                                + " is not supported here; POST a prompt", null));
        }
    }

    /** Reads the query, then the prompt (64 KiB, strict UTF-8), then streams the tokens on the request's own stream. */
    private Mono<ServerResponse> chat(ServerRequest request) {
        ChatRequest asked;
        try {
            asked = ChatRequest.fromQuery(request.uri().getRawQuery());
        } catch (BadRequest bad) {
            return badRequest(bad);
        }
        return prompts.text(request, "chat").flatMap(prompt -> {
            ChatRequest whole;
            try {
                whole = asked.withPrompt(prompt);
            } catch (BadRequest bad) {
                return badRequest(bad);
            }
            // The demo's HTTP contract names exactly "no-cache" for every stream.
            return ServerResponse.ok().header(HttpHeaders.CACHE_CONTROL, "no-cache")
                    .build((exchange, context) -> streams.open(exchange, stream -> chat.start(stream, whole)));
        }).onErrorResume(RequestBodies.Refused.class, RequestBodies.Refused::response);
    }

    private static Mono<ServerResponse> badRequest(BadRequest bad) {
        return ServerResponse.badRequest().contentType(MediaType.APPLICATION_JSON).bodyValue(bad.json());
    }
}
