package dev.sse.bench.server;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;

import java.time.Duration;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * The peer on the same runtime as {@link WebFluxServer}: Spring's own {@code Flux<ServerSentEvent>}, written as
 * Spring's guides and most applications write a broadcast: one multicast {@code Sinks.Many} (best effort, so a slow
 * subscriber drops rather than holding up the others) whose {@code asFlux()} every {@code GET} {@value #PATH} returns
 * as {@code text/event-stream}. Emission is serialised, as {@code Sinks.Many} requires of concurrent publishers.
 */
final class SpringFluxServer implements BenchServer {

    private final Sinks.Many<ServerSentEvent<String>> sink = Sinks.many().multicast().directBestEffort();
    private DisposableServer server;

    @Override
    public int start() {
        var routes = RouterFunctions.route(GET(PATH), request -> ServerResponse.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .body(BodyInserters.fromServerSentEvents(sink.asFlux())));
        server = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes)))
                .bindNow(Duration.ofSeconds(30));
        return server.port();
    }

    @Override
    public synchronized void broadcast(String data) {
        sink.tryEmitNext(ServerSentEvent.builder(data).build());
    }

    @Override
    public int subscribers() {
        return sink.currentSubscriberCount();
    }

    @Override
    public void stop() {
        sink.tryEmitComplete();
        server.disposeNow(Duration.ofSeconds(10));
    }
}
