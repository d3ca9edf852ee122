package dev.sse.examples.shared;

import dev.sse.core.CloseReason;
import dev.sse.core.SseEvent;
import dev.sse.core.SseStream;
import java.util.Objects;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo's stand-in for a language model: streams a prompt's words back as tokens, the way an LLM endpoint does.
 *
 * <pre>
 * id: 1
 * event: token
 * data: a
 *
 * ...
 *
 * event: done
 * data: [DONE]
 *
 * </pre>
 *
 * <p>Every chat's tokens come from one scheduler thread (never a thread per chat). A token is sent with
 * {@link SseStream#trySend}; when the stream's queue is full the chat waits for {@link SseStream#whenRoom} and then
 * goes on from the same token, so a slow reader slows its chat down and is never dropped or buffered without bound.
 * When the stream closes for any reason ({@link SseStream#onClose}), the chat's next token is cancelled at once and
 * none is produced after it. A chat that ends with its {@code done} event written counts as {@code completed};
 * one that ends in any other way (the client left, the server is stopping) as {@code cancelled}.
 *
 * <p>Threads: {@link #start} from any thread; a chat's tokens on the scheduler thread only, one at a time; close
 * callbacks on whichever thread ends the stream; the counters are atomic and read in any order.
 */
public final class ChatGenerator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ChatGenerator.class);
    /** The last event of every answer: no id, so a client's last event id stays the last token's. */
    public static final SseEvent DONE = SseEvent.of("done", "[DONE]");

    private final ScheduledExecutorService scheduler;
    private final AtomicLong active = new AtomicLong();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong cancelled = new AtomicLong();
    private final AtomicLong tokensSent = new AtomicLong();

    private ChatGenerator(ScheduledExecutorService scheduler) {
        this.scheduler = scheduler;
    }

    /** @return a generator with its own daemon scheduler thread, {@code demo-chat} */
    public static ChatGenerator create() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "demo-chat");
            t.setDaemon(true);
            return t;
        });
        // A cancelled chat's next token leaves the queue at once instead of waiting there for its time.
        s.setRemoveOnCancelPolicy(true);
        return new ChatGenerator(s);
    }

    /**
     * Streams the answer to a request into a stream, and ends the stream after it.
     *
     * @param stream the response's stream, just opened
     * @param request the request, with its prompt
     */
    public void start(SseStream stream, ChatRequest request) {
        Objects.requireNonNull(stream, "stream");
        if (request.words() == null) {
            throw new IllegalArgumentException("request has no prompt");
        }
        Chat chat = new Chat(stream, request);
        active.incrementAndGet();
        stream.onClose(chat::closed);
        chat.schedule(0);
    }

    /** @return chats streaming now */
    public long active() {
        return active.get();
    }

    /** @return chats whose {@code done} event was written */
    public long completed() {
        return completed.get();
    }

    /** @return chats that ended before their {@code done} event: the client left, or the server stopped */
    public long cancelled() {
        return cancelled.get();
    }

    /** @return tokens accepted by streams so far, over all chats */
    public long tokensSent() {
        return tokensSent.get();
    }

    /** @return {@code {"active":N,"completed":N,"cancelled":N}}, for the stats endpoints */
    public String statsJson() {
        return "{\"active\":" + active() + ",\"completed\":" + completed() + ",\"cancelled\":" + cancelled() + "}";
    }

    /** Stops producing tokens; the streams themselves end with their host's shutdown. */
    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    /**
     * One answer. {@code next} is touched by the scheduler thread only (one task of a chat is scheduled at a time:
     * the next token, or the wait for room); {@code task} and {@code ended} are also written by the close callback.
     */
    private final class Chat {
        private final SseStream stream;
        private final ChatRequest request;
        private int next;
        private volatile boolean ended;
        private volatile Future<?> task;

        Chat(SseStream stream, ChatRequest request) {
            this.stream = stream;
            this.request = request;
        }

        void schedule(long delayMillis) {
            if (ended) {
                return;
            }
            try {
                task = delayMillis == 0 ? scheduler.submit(this::emit)
                        : scheduler.schedule(this::emit, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                LOG.debug("chat on {} not continued: the generator is closed", stream);
                stream.close();
                return;
            }
            if (ended) {
                // Closed while scheduling: the close callback may have missed this task.
                task.cancel(false);
            }
        }

        private void emit() {
            if (ended) {
                return;
            }
            if (next == request.tokens()) {
                stream.complete(DONE);
                return;
            }
            SseEvent token = SseEvent.builder().id(Integer.toString(next + 1)).event("token")
                    .data(request.token(next)).build();
            if (stream.trySend(token)) {
                next++;
                tokensSent.incrementAndGet();
                schedule(next == request.tokens() ? 0 : request.intervalMillis());
            } else if (stream.isOpen()) {
                // The client reads slower than the tokens come: go on from this token once it has caught up.
                stream.whenRoom().thenRun(() -> schedule(0));
            }
        }

        void closed(CloseReason reason) {
            ended = true;
            Future<?> t = task;
            if (t != null) {
                t.cancel(false);
            }
            active.decrementAndGet();
            if (reason == CloseReason.COMPLETED) {
                completed.incrementAndGet();
            } else {
                cancelled.incrementAndGet();
                LOG.debug("chat on {} cancelled: {}", stream, reason);
            }
        }
    }
}
