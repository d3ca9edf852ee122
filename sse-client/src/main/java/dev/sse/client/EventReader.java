package dev.sse.client;

import dev.sse.core.SseParser;
import java.io.IOException;
import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;

/**
 * Reads one open stream: feeds the body to {@link SseParser} and hands out what it parsed as {@link Item}s, one per
 * call, reading more only when all of the last read was handed out. So a consumer that stops pulling stops the
 * reading, and at most one read's worth of items waits here. The body is watched for idleness while it is read.
 *
 * <p>Only the reader thread calls it. The client's close is seen through {@code closed} and through the body, which
 * {@link Connector#abort} closes.
 */
final class EventReader {

    private static final int READ_BUFFER = 16 * 1024;
    private static final String STREAM_ENDED = "stream ended";

    /** How a stream ended. */
    enum How {
        /** The server closed the stream: routine for a feed. */
        ENDED,
        /** A read failed or the stream went idle: worth retrying. */
        FAILED,
        /** A line or an event was over its limit: fatal. */
        REJECTED,
        /** The client was closed. */
        CLOSED
    }

    /**
     * The end of a stream.
     *
     * @param error what to report (null for {@link How#CLOSED}); for {@link How#ENDED}, "stream ended"
     * @param openNanos how long the stream was open
     * @param delivered whether it dispatched at least one event
     */
    record End(How how, SseException error, long openNanos, boolean delivered) {
    }

    /** The client's settings for every stream, copied from the builder when the client is made. */
    record Limits(int maxLineBytes, int maxEventBytes, Duration idleTimeout) {
    }

    private final Body body;
    private final int status;
    private final HttpHeaders headers;
    private final Duration idleTimeout;
    private final BooleanSupplier closed;
    private final SseParser parser;
    private final ArrayDeque<Item> parsed = new ArrayDeque<>();
    private final byte[] buffer = new byte[READ_BUFFER];
    private final long opened = System.nanoTime();
    private String lastEventId;
    private long events;
    private End end;

    /**
     * @param lastEventId the id the stream starts from
     * @param onRetry told each valid {@code retry:} value, in milliseconds, as it is parsed
     */
    EventReader(Connector.Opened response, Limits limits, String lastEventId, LongConsumer onRetry,
            BooleanSupplier closed) {
        this.body = response.body();
        this.status = response.status();
        this.headers = response.headers();
        this.idleTimeout = limits.idleTimeout();
        this.closed = closed;
        this.lastEventId = lastEventId;
        this.parser = new SseParser(new SseParser.Listener() {
            @Override
            public void onEvent(String type, String data, String id) {
                events++;
                parsed.add(new Item.Event(MessageEvent.of(type, data, id)));
            }

            @Override
            public void onComment(String comment) {
                parsed.add(new Item.Comment(comment));
            }

            @Override
            public void onRetry(long millis) {
                onRetry.accept(millis);
            }
        }, limits.maxLineBytes(), limits.maxEventBytes(), lastEventId);
        if (!idleTimeout.isZero()) {
            body.watch(idleTimeout);
        }
    }

    /**
     * Hands out the next event or comment, reading the body when nothing parsed is left.
     *
     * @return an {@link Item.Event} or {@link Item.Comment}; null once the stream is over (see {@link #end()})
     */
    Item next() {
        while (true) {
            Item item = parsed.poll();
            if (item != null) {
                return item;
            }
            // Everything parsed so far is handed out: the id it left is now the one to resume from.
            lastEventId = parser.lastEventId();
            if (end != null) {
                return null;
            }
            readMore();
        }
    }

    /** @return how the stream ended; null while {@link #next()} has not returned null */
    End end() {
        return end;
    }

    /** @return the last event id as of the items handed out (an {@code id:} without data moves it too) */
    String lastEventId() {
        return lastEventId;
    }

    int status() {
        return status;
    }

    HttpHeaders headers() {
        return headers;
    }

    /** Drops the stream before its end (the last event wanted arrived, or the client closed). */
    void close() {
        body.close();
    }

    private void readMore() {
        try {
            if (closed.getAsBoolean()) {
                finish(How.CLOSED, null, null);
                return;
            }
            if (body.idled()) {
                finish(How.FAILED, idleMessage(), null);
                return;
            }
            int n = body.read(buffer, 0, buffer.length);
            if (n < 0) {
                finish(How.ENDED, STREAM_ENDED, null);
                return;
            }
            parser.feed(buffer, 0, n);
        } catch (IOException e) {
            if (closed.getAsBoolean()) {
                finish(How.CLOSED, null, null);
            } else if (body.idled()) {
                finish(How.FAILED, idleMessage(), null);
            } else {
                finish(How.FAILED, "stream failed: " + e, e);
            }
        } catch (SseParser.LimitExceededException e) {
            // The events parsed before the limit was hit are still handed out, then the rejection.
            finish(How.REJECTED, "stream rejected: " + e.getMessage(), e);
        }
    }

    private String idleMessage() {
        return "no byte for " + idleTimeout.toMillis() + " ms (idle timeout)";
    }

    private void finish(How how, String message, Throwable cause) {
        SseException error = message == null ? null : SseException.fatal(message, status, headers, "", cause);
        end = new End(how, error, System.nanoTime() - opened, events > 0);
        body.close();
    }
}
