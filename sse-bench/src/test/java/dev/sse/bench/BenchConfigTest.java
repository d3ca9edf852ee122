package dev.sse.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class BenchConfigTest {

    @Test
    void warmUpIsFortyBroadcastsInTheFullRunAndFiveInTheQuickOne() {
        assertThat(BenchConfig.full().warmUpBroadcasts).isEqualTo(40);
        assertThat(BenchConfig.quick().warmUpBroadcasts).isEqualTo(5);
    }

    @Test
    void warmUpOfZeroMeasuresAColdServer() {
        assertThat(BenchConfig.parse(new String[] {"--warmup=0"}).warmUpBroadcasts).isZero();
        assertThat(BenchConfig.parse(new String[] {"--quick", "--warmup=12"}).warmUpBroadcasts).isEqualTo(12);
    }

    @Test
    void negativeOrNonNumericWarmUpIsRefusedNamingTheOption() {
        assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--warmup=-1"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("warmup must be an integer of at least 0, got '-1'");
        assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--warmup=lots"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("warmup");
    }

    @Test
    void zeroStillIsNoClusterRate() {
        assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--cluster-rate=0"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cluster-rate must be a positive integer, got '0'");
    }

    @Test
    void clusterRunsTheSharedBoxSettingsUnlessAskedForTheDefaults() {
        assertThat(BenchConfig.full().clusterJvmOptions())
                .containsExactly("-XX:+UseParallelGC", "-Dsse.bench.writerThreads=1");
        assertThat(BenchConfig.parse(new String[] {"--cluster-settings=defaults"}).clusterJvmOptions()).isEmpty();
        assertThatThrownBy(() -> BenchConfig.parse(new String[] {"--cluster-settings=fast"}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cluster-settings must be shared-box or defaults, got 'fast'");
    }
}
