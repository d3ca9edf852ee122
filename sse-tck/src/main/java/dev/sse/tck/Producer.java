package dev.sse.tck;

import dev.sse.core.CloseReason;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The kit's per-request producer, as an application writes one: {@code ?mode=tokens&n=N} (N tokens, then a terminal
 * {@code [DONE]}), {@code fail} (one token, then an error event), {@code silent} (nothing), {@code endless} (a token
 * every 20 ms until the stream closes). Records how each stream closed.
 */
final class Producer implements StreamHandler, AutoCloseable {

    final BlockingQueue<CloseReason> closes = new LinkedBlockingQueue<>();
    final AtomicLong producedAfterClose = new AtomicLong();
    final AtomicReference<SseStream> current = new AtomicReference<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "tck-producer");
        t.setDaemon(true);
        return t;
    });

    @Override
    public void handle(SseStream stream, Map<String, String> query) {
        current.set(stream);
        stream.onClose(closes::add);
        String mode = query.getOrDefault("mode", "silent");
        switch (mode) {
            case "tokens" -> timer.execute(() -> {
                int n = Integer.parseInt(query.getOrDefault("n", "3"));
                for (int i = 1; i <= n; i++) {
                    stream.send(SseEvent.builder().event("token").id(Integer.toString(i)).data("t" + i).build());
                }
                stream.complete(SseEvent.data("[DONE]"));
            });
            case "fail" -> timer.execute(() -> {
                stream.send(SseEvent.data("partial"));
                stream.fail("the model is overloaded");
            });
            case "endless" -> {
                AtomicLong n = new AtomicLong();
                ScheduledFuture<?> task = timer.scheduleAtFixedRate(() -> {
                    if (!stream.send(SseEvent.data("t" + n.incrementAndGet()))) {
                        producedAfterClose.incrementAndGet();
                    }
                }, 0, 20, TimeUnit.MILLISECONDS);
                stream.onClose(reason -> task.cancel(false));
            }
            case "silent" -> {
            }
            default -> throw new IllegalArgumentException("mode " + mode);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
