package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A listener that records everything on blocking queues, one per kind, for tests to take with a deadline. */
class Recorder implements SseListener {

    final BlockingQueue<MessageEvent> events = new LinkedBlockingQueue<>();
    final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    final BlockingQueue<Integer> opens = new LinkedBlockingQueue<>();
    final BlockingQueue<SseException> errors = new LinkedBlockingQueue<>();
    final BlockingQueue<Duration> streamEnds = new LinkedBlockingQueue<>();
    /** Every wait before a reconnect, after a failure or a routine end alike. */
    final BlockingQueue<Duration> waits = new LinkedBlockingQueue<>();
    final BlockingQueue<Integer> closed = new LinkedBlockingQueue<>();
    final CountDownLatch closedLatch = new CountDownLatch(1);
    volatile HttpHeaders closedHeaders;

    @Override
    public void onOpen(int status, HttpHeaders headers) {
        opens.add(status);
    }

    @Override
    public void onEvent(MessageEvent event) {
        events.add(event);
    }

    @Override
    public void onComment(String comment) {
        comments.add(comment);
    }

    @Override
    public void onError(SseException error) {
        errors.add(error);
        error.retryDelay().ifPresent(waits::add);
    }

    @Override
    public void onStreamEnd(Duration reconnectDelay) {
        streamEnds.add(reconnectDelay);
        waits.add(reconnectDelay);
    }

    @Override
    public void onClosed(int status, HttpHeaders headers) {
        closedHeaders = headers;
        closed.add(status);
        closedLatch.countDown();
    }

    static <T> T take(BlockingQueue<T> queue, String what) throws InterruptedException {
        T item = queue.poll(10, TimeUnit.SECONDS);
        if (item == null) {
            throw new AssertionError("no " + what + " within 10 s");
        }
        return item;
    }

    MessageEvent takeEvent() throws InterruptedException {
        return take(events, "event");
    }

    SseException takeError() throws InterruptedException {
        return take(errors, "error");
    }

    Duration takeWait() throws InterruptedException {
        return take(waits, "reconnect wait");
    }

    int takeClosed() throws InterruptedException {
        return take(closed, "onClosed");
    }

    int takeOpen() throws InterruptedException {
        return take(opens, "onOpen");
    }

    void assertNoMoreEvents() {
        assertThat(events).as("unexpected events").isEmpty();
    }
}
