package dev.sse.client;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull side of the client: {@link #next()} returns the next {@link Item}, connecting, reading and waiting out
 * the backoff as needed on the calling thread, until it returns {@link Item.Closed}. Every consumer is a pump over
 * it: the listener pump, and the hand-off queue that {@link SseClient#next()} takes from.
 *
 * <p>It keeps what lives across connections and decides what follows each one: the last event id (sent as
 * {@code Last-Event-ID}), the base delay {@code retry:} sets, the attempt count and the {@link RetryPolicy}, the rule
 * that only a plain GET is sent again unless the application allowed it, and the {@code stopAfter} predicate. The
 * {@link Connector} makes each attempt, an {@link EventReader} reads each stream.
 *
 * <p>Threads: {@link #next()} from one thread at a time (the client's reader thread); {@link #close()},
 * {@link #readyState()} and {@link #lastEventId()} from any thread. {@link #phase} is the one state, changed by CAS:
 * the reader moves it among the live phases, {@link #close()} moves it to {@link Phase#CLOSED}, and nothing leaves
 * that. The other fields are the reader's, except {@link #lastEventId}, which it alone writes.
 */
final class Reconnector {

    private static final Logger LOG = LoggerFactory.getLogger(SseClient.class);

    /** Where the client is; each phase shows to the application as a {@link ReadyState}. */
    enum Phase {
        /** Connecting, or waiting to: {@code wait} says how long first. */
        CONNECTING(ReadyState.CONNECTING),
        /** A stream is open and {@code reader} reads it. */
        OPEN(ReadyState.OPEN),
        /** Stopped by itself for good; {@code terminal} is the last item. */
        STOPPED(ReadyState.CLOSED),
        /** Stopped by {@link #close()}. */
        CLOSED(ReadyState.CLOSED);

        final ReadyState readyState;

        Phase(ReadyState readyState) {
            this.readyState = readyState;
        }
    }

    private final EventReader.Limits limits;
    private final Connector connector;
    private final RetryPolicy retryPolicy;
    /** The request may be sent again: a plain GET by default, any request the application allowed. */
    private final boolean resend;
    /** Matches the last event wanted; null for none. */
    private final Predicate<MessageEvent> lastEvent;
    private final String method;
    private final String name;

    private final AtomicReference<Phase> phase = new AtomicReference<>(Phase.CONNECTING);
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private volatile String lastEventId;

    // The reader thread's own.
    private Duration baseDelay;
    private int attempt;
    /** How long to wait before the next connect; null for not at all. */
    private Duration wait;
    private EventReader reader;
    /** The last event handed out, not yet tested against {@link #lastEvent}. */
    private MessageEvent handedOut;
    private Item.Closed terminal;

    /** Copies what it needs from {@code settings}: a builder may go on to build other clients. */
    Reconnector(SseClient.Builder settings, HttpClient http, String name) {
        this.limits = new EventReader.Limits(settings.maxLineBytes, settings.maxEventBytes, settings.idleTimeout);
        this.connector = new Connector(settings, http, name, this::closed);
        this.retryPolicy = settings.retryPolicy;
        this.resend = settings.reconnect != null ? settings.reconnect
                : settings.method.equals("GET") && settings.body == null;
        this.lastEvent = settings.lastEvent;
        this.method = settings.method;
        this.name = name;
        this.lastEventId = settings.lastEventId;
        this.baseDelay = retryPolicy.baseDelay();
    }

    /**
     * Returns what happened next, blocking while it connects, reads or waits to reconnect. After an
     * {@link Item.Closed} it returns that again.
     *
     * @return the next item, never null
     */
    Item next() {
        if (phase.get() == Phase.CLOSED) {
            dropReader();
            return Item.Closed.BY_APPLICATION;
        }
        if (terminal != null) {
            return terminal;
        }
        return reader != null ? read() : connect();
    }

    /**
     * Stops for good: a connect in progress is cancelled, the body being read closed, a backoff wait cut short. Any
     * thread; it never blocks.
     *
     * @return false if it was closed already
     */
    boolean close() {
        if (phase.getAndSet(Phase.CLOSED) == Phase.CLOSED) {
            return false;
        }
        closeSignal.countDown();
        connector.abort();
        return true;
    }

    /** Ends where {@link #next()} failed unexpectedly: releases the stream, reports the failure as the end. */
    Item.Closed failed(Throwable e) {
        dropReader();
        return stop(Item.Closed.after(SseException.fatal("client failed: " + e, 0, null, null, e)));
    }

    boolean closed() {
        return phase.get() == Phase.CLOSED;
    }

    ReadyState readyState() {
        return phase.get().readyState;
    }

    String lastEventId() {
        return lastEventId;
    }

    private Item read() {
        MessageEvent previous = handedOut;
        handedOut = null;
        if (previous != null && lastEvent != null && isLast(previous)) {
            // What the server sent after the last event wanted, even in the same read, is not handed out.
            lastEventId = previous.lastEventId();
            Item.Closed end = new Item.Closed(reader.status(), reader.headers(), null);
            dropReader();
            LOG.debug("{}: the last event wanted arrived; stopping", name);
            return stop(end);
        }
        Item item = reader.next();
        lastEventId = reader.lastEventId();
        if (item != null) {
            if (item instanceof Item.Event event) {
                handedOut = event.event();
            }
            return item;
        }
        EventReader.End end = reader.end();
        reader = null;
        switch (end.how()) {
            case CLOSED:
                return stop(Item.Closed.BY_APPLICATION);
            case REJECTED:
                return stopWith(end.error());
            default:
                if (end.delivered() || end.openNanos() >= retryPolicy.resetAfter().toNanos()) {
                    attempt = 0;
                }
                return retryOrStop(end.error(), end.how() == EventReader.How.ENDED, null);
        }
    }

    private Item connect() {
        if (wait != null) {
            Duration delay = wait;
            wait = null;
            try {
                if (closeSignal.await(delay.toNanos(), TimeUnit.NANOSECONDS)) {
                    return Item.Closed.BY_APPLICATION;
                }
            } catch (InterruptedException e) {
                LOG.debug("{}: reader interrupted, stopping", name);
                return stop(Item.Closed.BY_APPLICATION);
            }
        }
        Connector.Result result = connector.connect(lastEventId);
        if (result instanceof Connector.Opened opened) {
            if (!phase.compareAndSet(Phase.CONNECTING, Phase.OPEN)) {
                opened.body().close(); // closed meanwhile: only close() leaves CONNECTING from another thread
                return stop(Item.Closed.BY_APPLICATION);
            }
            LOG.debug("{}: open ({} {})", name, opened.status(), opened.version());
            reader = new EventReader(opened, limits, lastEventId, millis -> baseDelay = Duration.ofMillis(millis),
                    this::closed);
            return new Item.Opened(opened.status(), opened.headers());
        }
        if (result instanceof Connector.NoContent noContent) {
            LOG.debug("{}: server answered {}; not reconnecting", name, noContent.status());
            return stop(new Item.Closed(noContent.status(), noContent.headers(), null));
        }
        if (result instanceof Connector.Failed failed) {
            return failed.fatal() ? stopWith(failed.error())
                    : retryOrStop(failed.error(), false, failed.retryAfter());
        }
        return stop(Item.Closed.BY_APPLICATION);
    }

    /**
     * After a stream or an attempt that may be repeated: either the wait before the next attempt (told as a
     * {@link Item.StreamEnd} after a clean end, else as a retrying {@link Item.Failure}), or the end.
     */
    private Item retryOrStop(SseException cause, boolean clean, Duration retryAfter) {
        if (!retryPolicy.reconnects() || !resend) {
            if (clean) {
                // A clean end of a request that is not sent again is its normal end, not an error.
                return stop(new Item.Closed(cause.status(), cause.headers(), null));
            }
            return stopWith(cause.givingUp(!retryPolicy.reconnects() ? "not reconnecting (RetryPolicy.none())"
                    : "not sending the " + method + " again (only a GET without a body is, unless "
                    + "the builder's reconnect(true) allows it)"));
        }
        attempt++;
        if (!retryPolicy.allows(attempt)) {
            return stopWith(cause.givingUp("gave up after " + retryPolicy.maxAttempts() + " attempts"));
        }
        Duration delay = retryPolicy.delay(attempt, baseDelay, ThreadLocalRandom.current()::nextDouble);
        if (retryAfter != null && retryAfter.compareTo(delay) > 0) {
            delay = retryAfter;
        }
        wait = delay;
        phase.compareAndSet(Phase.OPEN, Phase.CONNECTING);
        if (clean) {
            LOG.debug("{}: stream ended; reconnecting in {} ms", name, delay.toMillis());
            return new Item.StreamEnd(delay);
        }
        return report(cause.retrying(delay));
    }

    /** Stops with a fatal error, reported as a {@link Item.Failure} before the end. */
    private Item stopWith(SseException fatal) {
        stop(Item.Closed.after(fatal));
        return report(fatal);
    }

    private Item.Closed stop(Item.Closed end) {
        terminal = end;
        phase.getAndUpdate(p -> p == Phase.CLOSED ? p : Phase.STOPPED);
        return end;
    }

    private Item.Failure report(SseException error) {
        LOG.debug("{}: {}", name, error.getMessage());
        return new Item.Failure(error);
    }

    private void dropReader() {
        if (reader != null) {
            reader.close();
            reader = null;
        }
    }

    private boolean isLast(MessageEvent event) {
        try {
            return lastEvent.test(event);
        } catch (RuntimeException e) {
            LOG.warn("{}: the stopAfter predicate threw; taking the event as not the last", name, e);
            return false;
        }
    }
}
