package dev.sse.webflux;

import java.time.Duration;
import org.springframework.http.server.reactive.HttpHandler;
import org.springframework.http.server.reactive.ReactorHttpHandlerAdapter;
import org.springframework.web.reactive.function.server.HandlerStrategies;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.server.WebFilter;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;

/** A real Reactor Netty server on 127.0.0.1 and a free port, serving WebFlux routes. */
final class NettyServer implements AutoCloseable {

    private final DisposableServer server;

    private NettyServer(DisposableServer server) {
        this.server = server;
    }

    static NettyServer start(RouterFunction<ServerResponse> routes, WebFilter... filters) {
        HandlerStrategies.Builder strategies = HandlerStrategies.builder();
        for (WebFilter f : filters) {
            strategies.webFilter(f);
        }
        return start(RouterFunctions.toHttpHandler(routes, strategies.build()));
    }

    static NettyServer start(HttpHandler handler) {
        // HTTP/1.1 and h2c (by upgrade or prior knowledge), as a Boot application gets with server.http2.enabled.
        return new NettyServer(HttpServer.create().host("127.0.0.1").port(0)
                .protocol(reactor.netty.http.HttpProtocol.HTTP11, reactor.netty.http.HttpProtocol.H2C)
                .handle(new ReactorHttpHandlerAdapter(handler)).bindNow(Duration.ofSeconds(10)));
    }

    int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }
}
