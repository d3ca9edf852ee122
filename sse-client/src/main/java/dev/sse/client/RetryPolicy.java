package dev.sse.client;

import java.time.Duration;
import java.util.Objects;
import java.util.function.DoubleSupplier;

/**
 * When and how often {@link SseClient} reconnects: exponential backoff with a floor, a cap and jitter. An immutable
 * value.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder()
 *         .baseDelay(Duration.ofSeconds(1)).multiplier(2).maxDelay(Duration.ofSeconds(30))
 *         .minDelay(Duration.ofMillis(250)).jitter(0.5).resetAfter(Duration.ofMinutes(1)).maxAttempts(0)
 *         .build();
 * }</pre>
 *
 * <p>The wait before the n-th consecutive reconnect (n = 1, 2, ...) is
 * {@code min(maxDelay, max(base, minDelay) * multiplier^(n-1))}, then reduced by a random fraction of up to
 * {@code jitter} of itself so that clients dropped together do not come back together, and never below
 * {@code minDelay}. {@code base} is {@link Builder#baseDelay} until the server sends a {@code retry:} field, whose
 * value replaces it (as the spec's reconnection time). A {@code Retry-After} header on a 408, 429 or 5xx response
 * lengthens the wait for that attempt to what it asks, but never shortens it.
 *
 * <p><b>The floor.</b> Whatever the server says, no wait is shorter than {@code minDelay}, 250 ms by default: a
 * {@code retry: 0} or a {@code Retry-After: 0} cannot make the client send requests in a tight loop. With the
 * backoff below, such a server gets at most six requests in five seconds from one client, not thousands; a server
 * that answers each request with an event and {@code retry: 0} gets at most four a second. 250 ms is short enough
 * that a reconnect after a routine end goes unnoticed by a person, long enough that one client cannot flood a server.
 *
 * <p><b>The count.</b> Every reconnect counts, also one after a stream that the server ended normally, so a server
 * that keeps closing streams at once, without an event, is not hammered: the waits grow from the floor even when
 * {@code retry:} says 0. The count n starts again at 1 once a connection delivered an event, or stayed open for
 * {@link Builder#resetAfter} or longer: healthy short streams reconnect after the base delay each time. After
 * {@code maxAttempts} consecutive reconnects counted this way (0: no limit) the client gives up with an error.
 */
public final class RetryPolicy {

    private static final RetryPolicy DEFAULTS = builder().build();
    private static final RetryPolicy NONE = noRetry();

    private final Duration baseDelay;
    private final double multiplier;
    private final Duration maxDelay;
    private final Duration minDelay;
    private final double jitter;
    private final Duration resetAfter;
    private final int maxAttempts;

    private RetryPolicy(Builder b) {
        this.baseDelay = b.baseDelay;
        this.multiplier = b.multiplier;
        this.maxDelay = b.maxDelay;
        this.minDelay = b.minDelay;
        this.jitter = b.jitter;
        this.resetAfter = b.resetAfter;
        this.maxAttempts = b.maxAttempts;
    }

    /**
     * The default policy: base 1 s, multiplier 2, cap 30 s, floor 250 ms, jitter 0.5, reset after 60 s, no attempt
     * limit.
     *
     * @return the default policy
     */
    public static RetryPolicy defaults() {
        return DEFAULTS;
    }

    /**
     * Never reconnect: the client ends when its first stream ends (normally or not). For reading one response to
     * its end, such as an LLM's streamed answer to a POST.
     *
     * @return the policy that never retries
     */
    public static RetryPolicy none() {
        return NONE;
    }

    private static RetryPolicy noRetry() {
        Builder b = builder();
        b.maxAttempts = -1;
        return b.build();
    }

    /**
     * Starts a policy from the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the base delay before a {@code retry:} field replaces it */
    public Duration baseDelay() {
        return baseDelay;
    }

    /** @return the factor the delay grows by per consecutive attempt */
    public double multiplier() {
        return multiplier;
    }

    /** @return the longest wait between attempts */
    public Duration maxDelay() {
        return maxDelay;
    }

    /** @return the shortest wait between attempts, whatever the server asks for */
    public Duration minDelay() {
        return minDelay;
    }

    /** @return the largest fraction of a delay taken off at random, from 0 to 1 */
    public double jitter() {
        return jitter;
    }

    /** @return how long a connection must stay open for the attempt count to start again */
    public Duration resetAfter() {
        return resetAfter;
    }

    /** @return the most consecutive reconnect attempts; 0 for no limit, -1 for no reconnect at all */
    public int maxAttempts() {
        return maxAttempts;
    }

    /** @return whether the client ever reconnects under this policy */
    boolean reconnects() {
        return maxAttempts >= 0;
    }

    /** @return whether attempt {@code n} (from 1) is allowed */
    boolean allows(int attempt) {
        return maxAttempts == 0 || attempt <= maxAttempts;
    }

    /**
     * The wait before attempt {@code n}.
     *
     * @param attempt the consecutive attempt, from 1
     * @param base the current base delay (the {@code retry:} value if the server sent one)
     * @param random a uniform source in [0, 1)
     */
    Duration delay(int attempt, Duration base, DoubleSupplier random) {
        double floor = minDelay.toMillis();
        double millis = Math.max(base.toMillis(), floor) * Math.pow(multiplier, Math.max(0, attempt - 1));
        double capped = Math.min(maxDelay.toMillis(), millis);
        double jittered = capped * (1 - jitter * random.getAsDouble());
        return Duration.ofMillis(Math.round(Math.max(floor, jittered)));
    }

    @Override
    public String toString() {
        if (!reconnects()) {
            return "RetryPolicy{none}";
        }
        return "RetryPolicy{base=" + baseDelay.toMillis() + "ms, multiplier=" + multiplier + ", max="
                + maxDelay.toMillis() + "ms, min=" + minDelay.toMillis() + "ms, jitter=" + jitter + ", resetAfter="
                + resetAfter.toMillis() + "ms, maxAttempts=" + maxAttempts + "}";
    }

    /** Builds a {@link RetryPolicy}; starts from the defaults. Not thread-safe. */
    public static final class Builder {

        private Duration baseDelay = Duration.ofSeconds(1);
        private double multiplier = 2;
        private Duration maxDelay = Duration.ofSeconds(30);
        private Duration minDelay = Duration.ofMillis(250);
        private double jitter = 0.5;
        private Duration resetAfter = Duration.ofSeconds(60);
        private int maxAttempts;

        private Builder() {
        }

        /**
         * Sets the first delay, until the server sends {@code retry:}.
         *
         * @param delay zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder baseDelay(Duration delay) {
            this.baseDelay = nonNegative("baseDelay", delay);
            return this;
        }

        /**
         * Sets the factor the delay grows by per consecutive attempt.
         *
         * @param factor at least 1
         * @return this builder
         * @throws IllegalArgumentException if below 1 or not finite
         */
        public Builder multiplier(double factor) {
            if (!(factor >= 1) || Double.isInfinite(factor)) {
                throw new IllegalArgumentException("multiplier must be a finite number >= 1 (was " + factor + ")");
            }
            this.multiplier = factor;
            return this;
        }

        /**
         * Sets the longest wait between attempts (a {@code Retry-After} may ask for longer).
         *
         * @param delay zero or positive, and not below {@link #minDelay}
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxDelay(Duration delay) {
            this.maxDelay = nonNegative("maxDelay", delay);
            return this;
        }

        /**
         * Sets the shortest wait between attempts, 250 ms by default: the floor under every wait, also under a
         * server's {@code retry:} or {@code Retry-After} of 0. Lower it only for a server you control (tests).
         *
         * @param delay positive, and not above {@link #maxDelay}
         * @return this builder
         * @throws IllegalArgumentException if zero or negative
         */
        public Builder minDelay(Duration delay) {
            Objects.requireNonNull(delay, "minDelay");
            if (delay.isNegative() || delay.isZero()) {
                throw new IllegalArgumentException("minDelay must be positive (was " + delay + ")");
            }
            this.minDelay = delay;
            return this;
        }

        /**
         * Sets the largest fraction of each delay taken off at random.
         *
         * @param fraction from 0 (none) to 1
         * @return this builder
         * @throws IllegalArgumentException if outside [0, 1]
         */
        public Builder jitter(double fraction) {
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("jitter must be between 0 and 1 (was " + fraction + ")");
            }
            this.jitter = fraction;
            return this;
        }

        /**
         * Sets how long a connection must stay open for the attempt count to start again.
         *
         * @param stable zero or positive
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder resetAfter(Duration stable) {
            this.resetAfter = nonNegative("resetAfter", stable);
            return this;
        }

        /**
         * Sets the most consecutive failed reconnects before the client gives up.
         *
         * @param attempts at least 1, or 0 for no limit
         * @return this builder
         * @throws IllegalArgumentException if negative
         */
        public Builder maxAttempts(int attempts) {
            if (attempts < 0) {
                throw new IllegalArgumentException("maxAttempts must be 0 (no limit) or more (was " + attempts + ")");
            }
            this.maxAttempts = attempts;
            return this;
        }

        /**
         * Builds the policy.
         *
         * @return the immutable policy
         * @throws IllegalArgumentException if maxDelay is below minDelay
         */
        public RetryPolicy build() {
            if (maxDelay.compareTo(minDelay) < 0) {
                throw new IllegalArgumentException("maxDelay must not be below minDelay (was " + maxDelay
                        + ", minDelay " + minDelay + ")");
            }
            return new RetryPolicy(this);
        }

        private static Duration nonNegative(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isNegative()) {
                throw new IllegalArgumentException(name + " must not be negative (was " + d + ")");
            }
            return d;
        }
    }
}
