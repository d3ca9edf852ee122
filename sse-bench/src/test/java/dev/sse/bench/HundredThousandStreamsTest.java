package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sse.bench.load.LoadGenerator;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class HundredThousandStreamsTest {

    @Test
    void aHundredThousandStreamsSpreadOverFourSourceAddressesFromTwoUp() {
        List<HundredThousandStreams.Share> plan = HundredThousandStreams.plan(100_000, 25_000);

        assertThat(plan).extracting(s -> s.source().getHostAddress())
                .containsExactly("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5");
        assertThat(plan).extracting(HundredThousandStreams.Share::streams).containsOnly(25_000);
    }

    @Test
    void sharesAreEvenToOneAndSumToTheStreamsAsked() {
        List<HundredThousandStreams.Share> plan = HundredThousandStreams.plan(60_001, 25_000);

        assertThat(plan).hasSize(3);
        assertThat(plan.stream().mapToInt(HundredThousandStreams.Share::streams).sum()).isEqualTo(60_001);
        assertThat(plan).extracting(HundredThousandStreams.Share::streams).containsExactly(20_001, 20_000, 20_000);
    }

    @Test
    void aFewStreamsTakeOneGeneratorAndMoreThanAFewTakeTwoThreads() {
        assertThat(HundredThousandStreams.plan(300, 25_000)).hasSize(1);
        assertThat(HundredThousandStreams.plan(17_500, 25_000)).extracting(HundredThousandStreams.Share::streams)
                .containsExactly(8_750, 8_750);
    }

    @Test
    void aLaterServerConnectsFromAddressesTheEarlierOneLeftAlone() {
        assertThat(HundredThousandStreams.plan(17_500, 25_000, 2)).extracting(s -> s.source().getHostAddress())
                .containsExactly("127.0.0.4", "127.0.0.5");
        assertThat(HundredThousandStreams.plan(17_500, 25_000, 252)).extracting(s -> s.source().getHostAddress())
                .containsExactly("127.0.0.254", "127.0.0.2");
    }

    @Test
    void tooManyStreamsForTheLoopbackAddressesAreRefusedWithTheCount() {
        assertThatThrownBy(() -> HundredThousandStreams.plan(254 * 10, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2540 streams");
        assertThatThrownBy(() -> HundredThousandStreams.plan(0, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("streams");
    }

    @Test
    void theFileLimitCapsTheStreamsHeldAndNoLimitCapsNothing() {
        // 20,000 files: a tenth (2,000) kept by the server, 500 for the bench.
        assertThat(HundredThousandStreams.held(100_000, 20_000, 500)).isEqualTo(17_500);
        assertThat(HundredThousandStreams.held(10_000, 20_000, 500)).isEqualTo(10_000);
        assertThat(HundredThousandStreams.held(100_000, 1_048_576, 500)).isEqualTo(100_000);
        assertThat(HundredThousandStreams.held(100_000, -1, 500)).isEqualTo(100_000);
    }

    @Test
    void thisProcessOpenFilesLimitIsReadFromProc() {
        long limit = HundredThousandStreams.openFilesLimit(ProcessHandle.current().pid());
        assertThat(limit).isEqualTo(BenchMain.maxFileDescriptors());
    }

    @Test
    @Timeout(30)
    void aGeneratorConnectsFromItsSourceAddress() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
                LoadGenerator load = new LoadGenerator(new InetSocketAddress("127.0.0.1", server.getLocalPort()),
                        "/events", InetAddress.getByName("127.0.0.3"))) {
            load.open(1, false);
            try (Socket accepted = server.accept()) {
                assertThat(((InetSocketAddress) accepted.getRemoteSocketAddress()).getAddress().getHostAddress())
                        .isEqualTo("127.0.0.3");
            }
        }
    }

    @Test
    void c100kIsReadAndAnUnknownScenarioIsRefusedByName() {
        assertThat(BenchConfig.full().c100kStreams).isEqualTo(100_000);
        assertThat(BenchConfig.parse(new String[] {"--c100k-streams=20000"}).c100kStreams).isEqualTo(20_000);
        assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--c100k-streams=-5"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("c100k-streams");
        assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--scenarios=fanout,c10k"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'c10k'");
    }

    @Test
    @Timeout(120)
    void quickC100kHoldsEveryStreamOverTwoSourcesAndLosesNothingOnOursAndTheFloor() throws Exception {
        BenchConfig cfg = BenchConfig.parse(new String[] {
            "--quick", "--servers=ours,raw", "--scenarios=c100k", "--c100k-streams=2500",
            "--logs=target/bench-logs-test"});

        String md = BenchMain.run(cfg);

        assertThat(md).contains("### c100k: 2,500 streams asked", "ours ÷ server (heap B/stream");
        List<String> rows = QuickSmokeTest.rows(md, "### c100k", "ours", "raw");
        assertThat(rows).hasSize(2);
        for (String row : rows) {
            String[] cells = row.split("\\|");
            // | server | held | p50 | p99 | max | expected | received | loss | call p99 | heap/stream | RSS/stream |
            assertThat(cells[2].trim()).as("held in %s", row).isEqualTo("2,500");
            assertThat(cells[6].trim()).as("expected in %s", row).isEqualTo("12,500");
            assertThat(cells[8].trim()).as("loss in %s", row).isEqualTo("0");
            assertThat(cells[10].trim()).as("heap per stream in %s", row).isNotEqualTo("n/a");
        }
    }
}
