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
    final Writability writability;

    /**
     * Whether the connection's outbound buffer has room: while it has none, a stream takes no more frames from its
     * queue, so a reader that stalls leaves them there, under the queue's limits and slow-client policy.
     */
    interface Writability {
        boolean writable();

        /** Calls {@code wake} each time the connection becomes writable again; on any thread. */
        void onWritable(Runnable wake);
    }

    private static final Writability ALWAYS = new Writability() {
        @Override
        public boolean writable() {
            return true;
        }

        @Override
        public void onWritable(Runnable wake) {
            // Other servers give no signal; their own demand is all there is.
        }
    };

    private ServerSide(Executor executor, GroupedTransport.Abort abort, Writability writability) {
        this.executor = executor;
        this.abort = abort;
        this.writability = writability;
    }

    static ServerSide of(ServerHttpRequest request) {
        if (NETTY) {
            ServerSide netty = NettySide.of(ServerHttpRequestDecorator.getNativeRequest(request));
            if (netty != null) {
                return netty;
            }
        }
        Scheduler.Worker worker = Schedulers.parallel().createWorker();
        return new ServerSide(task -> worker.schedule(task), () -> false, ALWAYS);
    }

    /** Kept apart so that nothing of Reactor Netty is loaded where it is absent. */
    private static final class NettySide {
        static ServerSide of(Object nativeRequest) {
            if (!(nativeRequest instanceof reactor.netty.Connection)) {
                return null;
            }
            reactor.netty.Connection connection = (reactor.netty.Connection) nativeRequest;
            io.netty.channel.Channel channel = connection.channel();
            Writability writability = new Writability() {
                @Override
                public boolean writable() {
                    return channel.isWritable();
                }

                @Override
                public void onWritable(Runnable wake) {
                    // Added through the connection, so Reactor Netty removes it when this request's exchange ends.
                    connection.addHandlerLast("dev.sse.writability", new io.netty.channel.ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelWritabilityChanged(io.netty.channel.ChannelHandlerContext ctx) {
                            if (ctx.channel().isWritable()) {
                                wake.run();
                            }
                            ctx.fireChannelWritabilityChanged();
                        }
                    });
                }
            };
            return new ServerSide(channel.eventLoop(), () -> {
                channel.close();
                return true;
            }, writability);
        }
    }
}
