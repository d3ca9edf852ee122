package dev.sse.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetryPolicyTest {

    private final RetryPolicy policy = RetryPolicy.builder().baseDelay(Duration.ofMillis(100)).multiplier(3)
            .maxDelay(Duration.ofSeconds(2)).minDelay(Duration.ofMillis(10)).jitter(0.5).build();

    @Test
    void delaysLieBetweenHalfAndAllOfTheExponentialValueWithJitterOneHalf() {
        assertThat(policy.delay(1, policy.baseDelay(), () -> 0.0)).isEqualTo(Duration.ofMillis(100));
        assertThat(policy.delay(1, policy.baseDelay(), () -> 0.999999)).isEqualTo(Duration.ofMillis(50));
        assertThat(policy.delay(3, policy.baseDelay(), () -> 0.0)).isEqualTo(Duration.ofMillis(900));
        assertThat(policy.delay(3, policy.baseDelay(), () -> 0.999999)).isEqualTo(Duration.ofMillis(450));
    }

    @Test
    void theCapIsAnUpperBoundEvenWithHugeAttemptCounts() {
        assertThat(policy.delay(50, policy.baseDelay(), () -> 0.0)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delay(Integer.MAX_VALUE, policy.baseDelay(), () -> 0.0)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aServerRetryValueReplacesTheBase() {
        assertThat(policy.delay(1, Duration.ofMillis(20), () -> 0.0)).isEqualTo(Duration.ofMillis(20));
        assertThat(policy.delay(2, Duration.ofMillis(20), () -> 0.0)).isEqualTo(Duration.ofMillis(60));
    }

    @Test
    void noneNeverReconnectsAndDefaultsAlwaysDo() {
        assertThat(RetryPolicy.none().reconnects()).isFalse();
        assertThat(RetryPolicy.defaults().reconnects()).isTrue();
        assertThat(RetryPolicy.defaults().allows(1_000_000)).isTrue();
        RetryPolicy three = RetryPolicy.builder().maxAttempts(3).build();
        assertThat(three.allows(3)).isTrue();
        assertThat(three.allows(4)).isFalse();
    }

    @Test
    void aServerRetryOfZeroIsRaisedToTheFloorAndStillBacksOff() {
        RetryPolicy defaults = RetryPolicy.defaults();
        assertThat(defaults.minDelay()).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.delay(1, Duration.ZERO, () -> 0.0)).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.delay(2, Duration.ZERO, () -> 0.0)).isEqualTo(Duration.ofMillis(500));
        assertThat(defaults.delay(3, Duration.ZERO, () -> 0.0)).isEqualTo(Duration.ofMillis(1000));
    }

    @Test
    void jitterNeverTakesAWaitBelowTheFloor() {
        RetryPolicy defaults = RetryPolicy.defaults();
        assertThat(defaults.delay(1, Duration.ZERO, () -> 0.999999)).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.delay(1, Duration.ofMillis(300), () -> 0.999999)).isEqualTo(Duration.ofMillis(250));
        assertThat(policy.delay(1, Duration.ZERO, () -> 0.999999)).isEqualTo(Duration.ofMillis(10));
    }
}
