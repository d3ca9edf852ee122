package dev.sse.bench;

import dev.sse.core.Hub;
import dev.sse.core.SseEvent;
import dev.sse.core.SseFrame;
import dev.sse.core.spi.FrameSource;
import dev.sse.core.spi.Transport;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cost of one {@code hub.broadcast} call, as the calling thread sees it, at N open streams whose writers drain on
 * a pool of their own (as a servlet container's threads would), no sockets. Uses only the public API and the
 * transport SPI, so the same source measures any version of sse-core.
 *
 * <pre>{@code
 * java -cp sse-bench/target/sse-bench.jar dev.sse.bench.BroadcastCallBench 10000 400
 * }</pre>
 *
 * Arguments: streams (default 10,000), broadcasts (default 400, the first quarter not counted), writer threads
 * (default 2). Prints one line: streams, broadcasts, p50/p99/max of the call in microseconds, frames delivered.
 */
public final class BroadcastCallBench {

    private BroadcastCallBench() {
    }

    public static void main(String[] args) throws Exception {
        int streams = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int broadcasts = args.length > 1 ? Integer.parseInt(args[1]) : 400;
        int writers = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        LongAdder delivered = new LongAdder();
        Hub hub = Hub.builder().keepAlive(Duration.ZERO).build();
        for (int i = 0; i < streams; i++) {
            hub.open(new PooledTransport(pool, delivered));
        }
        long[] nanos = new long[broadcasts];
        for (int i = 0; i < broadcasts; i++) {
            long t0 = System.nanoTime();
            hub.broadcast(SseEvent.data("{\"n\":" + i + ",\"pad\":\"0123456789012345678901234567890123456\"}"));
            nanos[i] = System.nanoTime() - t0;
            // 5 broadcasts a second would take minutes; 2 ms apart still leaves the writers room between them.
            Thread.sleep(2);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (delivered.sum() < (long) streams * broadcasts && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        long[] counted = Arrays.copyOfRange(nanos, broadcasts / 4, broadcasts);
        Arrays.sort(counted);
        System.out.printf(Locale.ROOT, "streams=%d broadcasts=%d call_us p50=%.1f p99=%.1f max=%.1f delivered=%d/%d%n",
                streams, broadcasts, counted[counted.length / 2] / 1e3, counted[(int) (counted.length * 0.99)] / 1e3,
                counted[counted.length - 1] / 1e3, delivered.sum(), (long) streams * broadcasts);
        hub.close();
        pool.shutdownNow();
    }

    /** A writer that drains on the pool when woken, one drain at a time per stream, as the SPI asks. */
    private static final class PooledTransport implements Transport {
        private final ExecutorService pool;
        private final LongAdder delivered;
        private final AtomicBoolean scheduled = new AtomicBoolean();
        private volatile FrameSource source;

        PooledTransport(ExecutorService pool, LongAdder delivered) {
            this.pool = pool;
            this.delivered = delivered;
        }

        @Override
        public void attach(FrameSource frames) {
            source = frames;
        }

        @Override
        public void framesAvailable() {
            if (scheduled.compareAndSet(false, true)) {
                pool.execute(this::drain);
            }
        }

        private void drain() {
            scheduled.set(false);
            SseFrame f;
            while ((f = source.poll()) != null) {
                delivered.increment();
            }
        }

        @Override
        public void close() {
        }
    }
}
