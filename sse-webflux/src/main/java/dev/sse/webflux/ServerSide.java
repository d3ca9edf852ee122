package dev.sse.webflux;

import java.util.concurrent.Executor;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.util.ClassUtils;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * What a stream needs from the server beneath WebFlux: a thread to drain on and a way to drop the connection. On
 * Reactor Netty that is the connection's own event loop and the connection itself; on any other server a worker of
 * Reactor's parallel scheduler and a failed body.
 */
final class ServerSide {

    private static final boolean NETTY = ClassUtils.isPresent("reactor.netty.Connection",
            ServerSide.class.getClassLoader());

    final Executor executor;
    final GroupedTransport.Abort abort;

    private ServerSide(Executor executor, GroupedTransport.Abort abort) {
        this.executor = executor;
        this.abort = abort;
    }

    static ServerSide of(ServerHttpRequest request) {
        if (NETTY) {
            ServerSide netty = NettySide.of(ServerHttpRequestDecorator.getNativeRequest(request));
            if (netty != null) {
                return netty;
            }
        }
        Scheduler.Worker worker = Schedulers.parallel().createWorker();
        return new ServerSide(task -> worker.schedule(task), () -> false);
    }

    /** Kept apart so that nothing of Reactor Netty is loaded where it is absent. */
    private static final class NettySide {
        static ServerSide of(Object nativeRequest) {
            if (!(nativeRequest instanceof reactor.netty.Connection)) {
                return null;
            }
            reactor.netty.Connection connection = (reactor.netty.Connection) nativeRequest;
            return new ServerSide(connection.channel().eventLoop(), () -> {
                connection.channel().close();
                return true;
            });
        }
    }
}
