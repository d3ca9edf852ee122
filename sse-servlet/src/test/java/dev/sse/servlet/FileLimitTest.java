package dev.sse.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class FileLimitTest {

    @Test
    void theDefaultBoundKeepsAReserveOf64OrATenthOfTheFileLimit() {
        assertThat(FileLimit.streamsFor(1200)).isEqualTo(1080);
        assertThat(FileLimit.streamsFor(1024)).isEqualTo(922);
        assertThat(FileLimit.streamsFor(300)).isEqualTo(236);
        assertThat(FileLimit.streamsFor(65_536)).isEqualTo(58_983);
        assertThat(FileLimit.streamsFor(10)).isEqualTo(1);
        assertThat(FileLimit.streamsFor(Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
        assertThat(FileLimit.streamsFor(-1)).as("unknown limit: no bound").isZero();
    }

    @Test
    void theProcessBoundIsDerivedFromTheProcesssOwnFileLimit() {
        assumeTrue(ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean,
                "a Unix JVM");
        long limit = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        assertThat(FileLimit.PROCESS.fileLimit()).isEqualTo(limit);
        assertThat(FileLimit.PROCESS.maxStreams()).isPositive().isEqualTo(FileLimit.streamsFor(limit));
    }

    @Test
    void aFloodOfShedStreamsIsLoggedOncePerIntervalNotPerRequest() {
        AtomicLong now = new AtomicLong(1_000);
        FileLimit files = new FileLimit(FileLimit.MIN_RESERVE + 1, now::get);
        assertThat(files.enter(true)).isTrue();
        assertThat(files.enter(true)).isFalse();
        assertThat(files.shed()).as("the first shed is reported at once").isEqualTo(1);
        long reported = 0;
        for (int i = 0; i < 1000; i++) {
            now.addAndGet(TimeUnit.MILLISECONDS.toNanos(50));
            reported += files.shed();
        }
        assertThat(reported).as("nothing more within the interval").isZero();
        now.addAndGet(TimeUnit.SECONDS.toNanos(FileLimit.LOG_INTERVAL));
        assertThat(files.shed()).as("then one report with the count").isEqualTo(1001);
    }

    @Test
    void explicitMaxConnectionsReplacesTheFileBoundButItsStreamsStillCount() {
        FileLimit files = new FileLimit(FileLimit.MIN_RESERVE + 3, System::nanoTime);
        Settings unlimited = new Settings();
        unlimited.maxConnections = 0;
        Settings byDefault = new Settings();
        LiveStreams explicit = new LiveStreams(unlimited, "explicit", files);
        LiveStreams bounded = new LiveStreams(byDefault, "bounded", files);
        try {
            for (int i = 0; i < 5; i++) {
                assertThat(explicit.admit(null)).isEqualTo(LiveStreams.Admission.ADMITTED);
            }
            assertThat(files.streams()).isEqualTo(5);
            assertThat(bounded.admit(null)).isEqualTo(LiveStreams.Admission.FILES_FULL);
            for (int i = 0; i < 3; i++) {
                explicit.abandon(null);
            }
            assertThat(bounded.admit(null)).isEqualTo(LiveStreams.Admission.ADMITTED);
            assertThat(files.streams()).isEqualTo(3);
            assertThat(bounded.count()).isEqualTo(1);
        } finally {
            explicit.stop();
            bounded.stop();
        }
    }

    @Test
    void servletsWithoutMaxConnectionsAreHeldToTheProcesssBoundAndAnExplicitOneWins() {
        dev.sse.core.Hub hub = dev.sse.core.Hub.create();
        try {
            assertThat(new SseServlet(hub).connectionLimit()).isEqualTo(FileLimit.PROCESS.maxStreams());
            assertThat(new SseServlet().connectionLimit()).isEqualTo(FileLimit.PROCESS.maxStreams());
            assertThat(SseServlet.builder().hub(hub).build().connectionLimit()).isEqualTo(FileLimit.PROCESS.maxStreams());
            assertThat(SseServlet.builder().hub(hub).maxConnections(10).build().connectionLimit()).isEqualTo(10);
            assertThat(SseServlet.builder().hub(hub).maxConnections(0).build().connectionLimit()).isZero();
        } finally {
            hub.close();
        }
    }
}
