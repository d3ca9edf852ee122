package dev.sse.vertx.readme;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import dev.sse.vertx.SseHandler;
import dev.sse.vertx.SseStreams;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.function.Consumer;

/** The Java snippets of README.md's Vert.x section, compiled (ReadmeSnippetsTest finds them here). */
final class VertxReadmeSnippets {

    /** What the per-request snippet streams: any producer of tokens. */
    interface Job {
        void cancel();

        void onToken(Consumer<String> token);

        void onDone(Runnable done);
    }

    private VertxReadmeSnippets() {
    }

    static void routerForm(Vertx vertx) {
        Hub hub = Hub.create();
        Router router = Router.router(vertx);
        router.route("/events").handler(SseHandler.builder(hub)
                .setting("retry", "3s").setting("allowedOrigins", "https://app.example").setting("publish", "open").build());
        vertx.createHttpServer().requestHandler(router).listen(8080);
        hub.broadcast(SseEvent.data("hello"));
    }

    static void perRequestForm(Router router, Job job) {
        router.post("/generate").handler(rc -> {
            SseStream stream = SseStreams.start(rc);
            stream.onClose(reason -> job.cancel());
            job.onToken(token -> stream.trySend(SseEvent.of("token", token)));
            job.onDone(() -> stream.complete(SseEvent.data("[DONE]")));
        });
    }
}
