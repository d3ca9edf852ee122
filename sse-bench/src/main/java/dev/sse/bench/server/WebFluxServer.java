package dev.sse.bench.server;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.webflux.SseHandler;
import dev.sse.webflux.SseStreams;
import java.time.Duration;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.RouterFunctions;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/**
 * Ours on Spring WebFlux and Reactor Netty, configured as a user would from the README: {@code Hub.create()} (all
 * defaults) streamed by {@code SseHandler.of(hub)} at {@value #PATH}, and {@code POST} {@value TokenStreams#PATH} on
 * {@code SseStreams}, in one {@code RouterFunction} on a plain Reactor Netty {@code HttpServer} (no Boot). A broadcast
 * is {@code hub.broadcast(SseEvent.data(data))} on the publisher thread; it only queues, and each stream is drained on
 * its connection's event loop.
 */
final class WebFluxServer implements BenchServer {

    private final Hub hub = Hub.create();
    private final SseStreams sseStreams = SseStreams.create();
    private final TokenStreams streams = new TokenStreams();
    private DisposableServer server;

    @Override
    public int start() {
        SseHandler events = SseHandler.of(hub);
        var routes = RouterFunctions.route(GET(PATH), events)
                .andRoute(POST(TokenStreams.PATH), sseStreams.handler((request, stream) -> {
                    long tokens = Long.parseLong(request.queryParam("tokens").orElse("1"));
                    long interval = Long.parseLong(request.queryParam("interval").orElse("1"));
                    long id = Long.parseLong(request.queryParam("id").orElse("0"));
                    TokenStreams.Producer producer = streams.start(id, (int) tokens, interval, new TokenStreams.Sink() {
                        @Override
                        public boolean token(int index, long producedNanos) {
                            return stream.send(SseEvent.builder().event("token").id(Integer.toString(index))
                                    .data(Long.toString(producedNanos)).build());
                        }

                        @Override
                        public void done() {
                            stream.complete(SseEvent.data("[DONE]"));
                        }
                    });
                    stream.onClose(reason -> producer.cancel());
                }));
        server = HttpServer.create().host("127.0.0.1").port(0)
                .handle(new ReactorHttpHandlerAdapter(RouterFunctions.toHttpHandler(routes)))
                .bindNow(Duration.ofSeconds(30));
        return server.port();
    }

    @Override
    public void broadcast(String data) {
        hub.broadcast(SseEvent.data(data));
    }

    @Override
    public int subscribers() {
        return hub.channelCount();
    }

    @Override
    public TokenStreams tokenStreams() {
        return streams;
    }

    @Override
    public void stop() {
        server.disposeNow(Duration.ofSeconds(10));
        hub.close();
        sseStreams.host().close();
        streams.stop();
    }
}
