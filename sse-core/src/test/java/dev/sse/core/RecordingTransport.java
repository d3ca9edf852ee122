package dev.sse.core;

import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A transport that drains its channel at once on the waking thread, as a fast client would, and records what it got;
 * reading what it got polls first, since broadcasts wake it from the hub's scheduler, not from the caller.
 * With {@code stalled} it never polls: a client that stopped reading.
 */
final class RecordingTransport implements Transport {

    private final boolean stalled;
    private final List<SseFrame> frames = new ArrayList<>();
    private final AtomicInteger closeCalls = new AtomicInteger();
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private volatile FrameSource source;
    private volatile boolean bound;

    RecordingTransport() {
        this(false);
    }

    RecordingTransport(boolean stalled) {
        this.stalled = stalled;
    }

    static RecordingTransport stalled() {
        return new RecordingTransport(true);
    }

    EventChannel openOn(Hub hub) {
        return openOn(hub, ChannelOptions.defaults());
    }

    /** Frames queued before open returns are drained once the channel is known. */
    EventChannel openOn(Hub hub, ChannelOptions options) {
        EventChannel ch = hub.open(this, options);
        bound = true;
        framesAvailable();
        return ch;
    }

    /** For a channel opened by other means than {@link #openOn}: from now on it drains when woken. */
    void bound() {
        bound = true;
        framesAvailable();
    }

    @Override
    public void attach(FrameSource frames) {
        this.source = frames;
    }

    @Override
    public void framesAvailable() {
        drain();
    }

    private void drain() {
        FrameSource src = source;
        if (stalled || src == null || !bound) {
            return;
        }
        synchronized (this) {
            SseFrame f;
            while ((f = src.poll()) != null) {
                frames.add(f);
            }
        }
    }

    @Override
    public void close() {
        closeCalls.incrementAndGet();
        closedLatch.countDown();
    }

    synchronized List<SseFrame> frames() {
        drain();
        return new ArrayList<>(frames);
    }

    synchronized List<String> ids() {
        drain();
        List<String> ids = new ArrayList<>();
        for (SseFrame f : frames) {
            if (f.event().id() != null) {
                ids.add(f.event().id());
            }
        }
        return ids;
    }

    synchronized List<String> data() {
        drain();
        List<String> data = new ArrayList<>();
        for (SseFrame f : frames) {
            if (f.event().data() != null) {
                data.add(f.event().data());
            }
        }
        return data;
    }

    synchronized String wire() {
        drain();
        StringBuilder sb = new StringBuilder();
        for (SseFrame f : frames) {
            sb.append(new String(f.toByteArray(), StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    FrameSource source() {
        return source;
    }

    int closeCalls() {
        return closeCalls.get();
    }

    boolean awaitClosed(long seconds) throws InterruptedException {
        return closedLatch.await(seconds, TimeUnit.SECONDS);
    }
}
