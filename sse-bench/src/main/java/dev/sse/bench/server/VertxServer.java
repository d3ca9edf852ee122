package dev.sse.bench.server;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.vertx.SseHandler;
import dev.sse.vertx.SseStreams;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.concurrent.TimeUnit;

/**
 * Ours on Vert.x 5, configured as a user would from the README: {@code Hub.create()} (all defaults) streamed by
 * {@code SseHandler.create(hub)} at {@value #PATH}, and {@code POST} {@value TokenStreams#PATH} on
 * {@code SseStreams.start(rc)}, in one vertx-web {@code Router}. A broadcast is {@code hub.broadcast(SseEvent.data(data))}
 * on the publisher thread; it only queues, and each stream is drained on its connection's event loop.
 */
final class VertxServer implements BenchServer {

    private final Hub hub = Hub.create();
    private final Hub streamHost = Hub.create();
    private final TokenStreams streams = new TokenStreams();
    private Vertx vertx;

    @Override
    public int start() throws Exception {
        vertx = Vertx.vertx();
        Router router = Router.router(vertx);
        router.get(PATH).handler(SseHandler.create(hub));
        router.post(TokenStreams.PATH).handler(rc -> {
            long tokens = Long.parseLong(query(rc.request().getParam("tokens"), "1"));
            long interval = Long.parseLong(query(rc.request().getParam("interval"), "1"));
            long id = Long.parseLong(query(rc.request().getParam("id"), "0"));
            SseStream stream = SseStreams.start(rc, streamHost);
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
        });
        HttpServer server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(router).listen().await(30, TimeUnit.SECONDS);
        return server.actualPort();
    }

    private static String query(String value, String dflt) {
        return value == null ? dflt : value;
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
    public void stop() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
        hub.close();
        streamHost.close();
        streams.stop();
    }
}
