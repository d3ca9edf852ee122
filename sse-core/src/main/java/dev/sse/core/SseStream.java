package dev.sse.core;

import dev.sse.core.spi.Transport;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One response's own event stream: an LLM's tokens, an agent's steps, a job's progress. Any thread may send; sending
 * never blocks unless asked to and never buffers without bound.
 *
 * <pre>{@code
 * SseStream stream = SseStreams.start(request, response);           // sse-servlet; other adapters alike
 * stream.onClose(reason -> generation.cancel(true));                // the client left, or the stream ended
 * for (String token : model.tokens(prompt)) {
 *     if (!stream.send(SseEvent.of("token", token), Duration.ofSeconds(30))) break;   // waits for room
 * }
 * stream.complete(SseEvent.data("[DONE]"));                         // terminal event, then the response ends
 * }</pre>
 *
 * <h2>Sending, and slowing down</h2>
 * The stream's queue is bounded in frames and bytes (its host hub's {@link Hub.Builder#maxQueuedFrames} and
 * {@link Hub.Builder#maxQueuedBytes}). A producer picks how it meets a full queue:
 * <ul>
 *   <li>{@link #trySend(SseEvent)} never blocks: {@code false} means "no room now" (nothing was queued, the stream
 *       stays open); {@link #whenRoom()} completes once there is room again;</li>
 *   <li>{@link #send(SseEvent, Duration)} blocks the calling (worker or virtual) thread until there is room, up to a
 *       timeout;</li>
 *   <li>{@link #from(Flow.Publisher)} hands over a publisher, requesting one event at a time and only while there is
 *       room, and cancelling its subscription when the stream ends;</li>
 *   <li>{@link #send(SseEvent)} never blocks and leaves a full queue to the host hub's {@link SlowClientPolicy}
 *       (by default the client is disconnected), as a hub's broadcast does.</li>
 * </ul>
 * Each returns {@code false} once the stream is closed; what is sent then is discarded and only logged at debug.
 *
 * <h2>Ending</h2>
 * {@link #complete()} and {@link #complete(SseEvent)} (after a terminal event such as {@code data: [DONE]}) end the
 * response once the queued frames are written; {@link #fail(String)} does the same after an {@code event: error}
 * whose data is {@code {"error":"..."}}, so a client can tell a failure from a normal end. {@link #close()} ends it
 * at once, discarding what is queued. Keep-alive comments flow while the producer is silent, from the host hub's
 * scheduler: no thread per stream. A client that left is found at the next write or keep-alive (or by the
 * container's own callbacks), and then {@link #onClose} callbacks run, each exactly once, with a {@link CloseReason}:
 * {@code CLIENT_GONE}, {@code COMPLETED}, {@code FAILED}, {@code SLOW_CLIENT}, {@code WRITE_TIMEOUT},
 * {@code HUB_CLOSED} (the server is stopping), {@code CLOSED_BY_APP} or {@code ERROR}.
 *
 * <h2>Threads</h2>
 * Every method may be called from any thread. {@link #onClose} callbacks run on the thread that ends the stream (a
 * writer thread, the container's, the hub's scheduler or the caller of {@link #close()}); keep them short, as for
 * {@link HubListener}. {@link #whenRoom()} completes, and a publisher given to {@link #from} is asked for more, on
 * the common asynchronous pool, never on a writer thread. The stream's own monitor guards only the hand-over of room
 * to waiting producers and is never held while user code runs.
 */
public final class SseStream {

    private static final Logger LOG = LoggerFactory.getLogger(SseStream.class);

    private final EventChannel channel;
    private final CompletableFuture<CloseReason> closed = new CompletableFuture<>();
    /** Guards {@link #roomFuture} and is the monitor blocked senders wait on. */
    private final Object roomMonitor = new Object();
    private CompletableFuture<Void> roomFuture;
    private volatile PublisherBridge bridge;

    private SseStream(EventChannel channel) {
        this.channel = channel;
    }

    /**
     * Opens a stream on a transport; for adapters (e.g. sse-servlet's {@code SseStreams.start}), not applications.
     * The host hub gives the stream its queue limits, slow-client policy, keep-alive, statistics and shutdown: an
     * adapter keeps one host for all its per-request streams, and nothing is ever broadcast on it.
     *
     * @param host the hub that hosts per-request streams
     * @param transport the response's side
     * @param options the request's {@code Last-Event-ID}, an initial event (a {@code retry:} hint), attributes
     * @return the open stream
     * @throws HubClosedException if the host is closed
     */
    public static SseStream open(Hub host, Transport transport, ChannelOptions options) {
        Objects.requireNonNull(host, "host");
        Holder holder = new Holder();
        host.open(transport, options, holder);
        return holder.stream;
    }

    /** Lets {@link Hub#open} attach the stream before the channel can close, so no close goes untold. */
    private static final class Holder implements Consumer<EventChannel> {
        SseStream stream;

        @Override
        public void accept(EventChannel channel) {
            stream = new SseStream(channel);
            channel.streamEvents(stream.new Events());
        }
    }

    /** @return a number that identifies the stream within its host */
    public long id() {
        return channel.id();
    }

    /** @return the {@code Last-Event-ID} the request carried (header or adapter's query parameter), or {@code null} */
    public String lastEventId() {
        return channel.resumedFrom();
    }

    /**
     * Returns an attribute the adapter attached (the request's principal, for example).
     *
     * @param name the name
     * @return the value, or {@code null}
     */
    public Object attribute(String name) {
        return channel.attribute(name);
    }

    /** @return whether the stream is open (also while it writes its last frames after {@link #complete}) */
    public boolean isOpen() {
        return channel.isOpen();
    }

    /** @return how many frames wait to be written */
    public int queuedFrames() {
        return channel.queuedFrames();
    }

    /**
     * Queues an event without waiting; a full queue is the host hub's {@link SlowClientPolicy}'s to handle.
     *
     * @param event the event
     * @return {@code false} if the stream is closed, or the policy closed it
     */
    public boolean send(SseEvent event) {
        Objects.requireNonNull(event, "event");
        if (channel.send(event)) {
            return true;
        }
        discarded(event);
        return false;
    }

    /**
     * Queues an event if there is room now.
     *
     * @param event the event
     * @return {@code true} if queued; {@code false} if there is no room (see {@link #whenRoom()}) or the stream is
     *         closed (see {@link #isOpen()})
     */
    public boolean trySend(SseEvent event) {
        Objects.requireNonNull(event, "event");
        EventChannel.Room r = channel.offerIfRoom(SseFrame.of(event));
        if (r == EventChannel.Room.CLOSED) {
            discarded(event);
        }
        return r == EventChannel.Room.QUEUED;
    }

    /**
     * Queues an event, waiting for room as long as {@code timeout}.
     *
     * @param event the event
     * @param timeout how long to wait for room, at most
     * @return {@code true} if queued, {@code false} if the stream is closed (before or while waiting)
     * @throws TimeoutException if there was no room for the whole timeout; the stream stays open
     * @throws InterruptedException if the thread was interrupted while waiting
     */
    public boolean send(SseEvent event, Duration timeout) throws InterruptedException, TimeoutException {
        Objects.requireNonNull(event, "event");
        Objects.requireNonNull(timeout, "timeout");
        SseFrame frame = SseFrame.of(event);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            EventChannel.Room r = channel.offerIfRoom(frame);
            if (r == EventChannel.Room.QUEUED) {
                return true;
            }
            if (r == EventChannel.Room.CLOSED) {
                discarded(event);
                return false;
            }
            synchronized (roomMonitor) {
                // Armed under the monitor: the drain side's notify cannot come between the check and the wait.
                while (!channel.armRoom()) {
                    if (!channel.isOpen()) {
                        break;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException("no room in stream " + id() + " for " + timeout);
                    }
                    roomMonitor.wait(Math.max(1, left / 1_000_000));
                }
            }
        }
    }

    /**
     * Returns a stage that completes once the queue has room (at once if it has now), or the stream closed: the
     * non-blocking way to resume after {@link #trySend} said no. Completes on the common asynchronous pool.
     *
     * @return the stage
     */
    public CompletionStage<Void> whenRoom() {
        synchronized (roomMonitor) {
            if (channel.armRoom() || !channel.isOpen()) {
                return CompletableFuture.completedFuture(null);
            }
            if (roomFuture == null) {
                roomFuture = new CompletableFuture<>();
            }
            return roomFuture.copy();
        }
    }

    /**
     * Streams what a publisher produces: it is asked for one event at a time, only while the queue has room; its
     * completion completes the stream, its error fails it ({@link #fail(String)} with a generic message; the cause is
     * logged at WARN, not sent), and its subscription is cancelled when the stream ends for any reason.
     *
     * @param publisher the producer; subscribed to once, at once
     * @throws IllegalStateException if a publisher was already given
     */
    public void from(Flow.Publisher<? extends SseEvent> publisher) {
        Objects.requireNonNull(publisher, "publisher");
        PublisherBridge b = new PublisherBridge();
        synchronized (roomMonitor) {
            if (bridge != null) {
                throw new IllegalStateException("stream " + id() + " already streams a publisher");
            }
            bridge = b;
        }
        publisher.subscribe(b);
    }

    /**
     * Registers what to do when the stream ends, for any reason; it runs exactly once (at once, on this thread, if
     * the stream has already ended).
     *
     * @param callback given the reason
     */
    public void onClose(Consumer<CloseReason> callback) {
        Objects.requireNonNull(callback, "callback");
        closed.thenAccept(reason -> {
            try {
                callback.accept(reason);
            } catch (RuntimeException e) {
                LOG.warn("close callback of stream {} failed", id(), e);
            }
        });
    }

    /** @return a stage that completes with the reason once the stream has ended */
    public CompletionStage<CloseReason> closed() {
        return closed.copy();
    }

    /** Ends the response once what is queued has been written; nothing sent after this is. */
    public void complete() {
        channel.closeAfterDrain(CloseReason.COMPLETED, (SseEvent) null);
    }

    /**
     * Sends a terminal event (an OpenAI-style {@code data: [DONE]}) and then ends the response once everything queued
     * has been written.
     *
     * @param terminal the last event
     */
    public void complete(SseEvent terminal) {
        channel.closeAfterDrain(CloseReason.COMPLETED, Objects.requireNonNull(terminal, "terminal"));
    }

    /**
     * Ends the stream as failed: after what is queued, an {@code event: error} with data {@code {"error":"message"}},
     * then the response ends.
     *
     * <pre>
     * event: error
     * data: {"error":"the model is overloaded"}
     * </pre>
     *
     * @param message what went wrong, for the client's eyes
     */
    public void fail(String message) {
        Objects.requireNonNull(message, "message");
        fail(SseEvent.of("error", "{\"error\":" + JsonText.quote(message) + "}"));
    }

    /**
     * Ends the stream as failed with an error event of the application's own making.
     *
     * @param errorEvent the last event
     */
    public void fail(SseEvent errorEvent) {
        channel.closeAfterDrain(CloseReason.FAILED, Objects.requireNonNull(errorEvent, "errorEvent"));
    }

    /** Ends the stream now, discarding what is queued; the reason is {@link CloseReason#CLOSED_BY_APP}. */
    public void close() {
        channel.close(CloseReason.CLOSED_BY_APP);
    }

    private void discarded(SseEvent event) {
        LOG.debug("stream {} is closed; discarded {}", id(), event);
    }

    @Override
    public String toString() {
        return "SseStream#" + id();
    }

    /** What the channel tells this stream. */
    private final class Events implements EventChannel.StreamEvents {
        @Override
        public void room() {
            CompletableFuture<Void> f;
            synchronized (roomMonitor) {
                roomMonitor.notifyAll();
                f = roomFuture;
                roomFuture = null;
            }
            PublisherBridge b = bridge;
            if (f != null || b != null) {
                // Never on the writer thread that polled: producers' code runs elsewhere.
                CompletableFuture.runAsync(() -> {
                    if (f != null) {
                        f.complete(null);
                    }
                    if (b != null) {
                        b.resume();
                    }
                });
            }
        }

        @Override
        public void closed(CloseReason reason) {
            CompletableFuture<Void> f;
            synchronized (roomMonitor) {
                roomMonitor.notifyAll();
                f = roomFuture;
                roomFuture = null;
            }
            if (f != null) {
                f.complete(null);
            }
            PublisherBridge b = bridge;
            if (b != null) {
                b.cancel();
            }
            closed.complete(reason);
        }
    }

    /**
     * Pulls a publisher's events into the stream, one request at a time. The Flow rules serialise onNext; room comes
     * from the drain side only while no request is outstanding, so this object's monitor is seldom contended.
     */
    private final class PublisherBridge implements Flow.Subscriber<SseEvent> {
        private Flow.Subscription subscription;
        /** The one event that waited for room, encoded once. */
        private SseFrame pending;
        private boolean cancelled;

        @Override
        public void onSubscribe(Flow.Subscription s) {
            boolean ok;
            synchronized (this) {
                ok = subscription == null && !cancelled;
                if (ok) {
                    subscription = s;
                }
            }
            if (!ok) {
                s.cancel();
                return;
            }
            if (!isOpen()) {
                cancel();
                return;
            }
            s.request(1);
        }

        @Override
        public void onNext(SseEvent event) {
            SseFrame frame = SseFrame.of(event);
            EventChannel.Room r = channel.offerIfRoom(frame);
            if (r == EventChannel.Room.CLOSED) {
                discarded(event);
                cancel();
                return;
            }
            if (r == EventChannel.Room.FULL) {
                synchronized (this) {
                    pending = frame;
                }
            }
            askForMoreIfRoom();
        }

        /** The queue has room again: the pending event goes first, then one more is asked for. */
        void resume() {
            SseFrame p;
            synchronized (this) {
                p = pending;
                pending = null;
            }
            if (p != null) {
                EventChannel.Room r = channel.offerIfRoom(p);
                if (r == EventChannel.Room.CLOSED) {
                    return;
                }
                if (r == EventChannel.Room.FULL) {
                    synchronized (this) {
                        pending = p;
                    }
                }
            }
            askForMoreIfRoom();
        }

        private void askForMoreIfRoom() {
            Flow.Subscription s;
            synchronized (this) {
                if (cancelled) {
                    return;
                }
                s = subscription;
            }
            boolean waiting;
            synchronized (this) {
                waiting = pending != null;
            }
            if (waiting) {
                if (channel.armRoom()) {
                    resume();
                }
                return;
            }
            if (channel.armRoom()) {
                s.request(1);
            }
        }

        @Override
        public void onError(Throwable error) {
            LOG.warn("the publisher of stream {} failed; ending the stream with an error event", id(), error);
            fail("the stream failed");
        }

        @Override
        public void onComplete() {
            SseFrame p;
            synchronized (this) {
                p = pending;
                pending = null;
            }
            if (p != null) {
                // The last event waited for room; it goes ahead of the end whatever the limits.
                channel.closeAfterDrain(CloseReason.COMPLETED, p);
            } else {
                complete();
            }
        }

        void cancel() {
            Flow.Subscription s;
            synchronized (this) {
                if (cancelled) {
                    return;
                }
                cancelled = true;
                s = subscription;
            }
            if (s != null) {
                s.cancel();
            }
        }
    }
}
