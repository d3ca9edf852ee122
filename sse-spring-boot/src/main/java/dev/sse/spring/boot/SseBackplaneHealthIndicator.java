package dev.sse.spring.boot;

import dev.sse.core.Hub;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Health of the hubs that run on a backplane (Redis): DOWN, with the reason per hub, when one cannot reach its shared
 * log; UP otherwise. Hubs of this node alone are left out: they have nothing outside to lose. Spring Boot 4 only, where
 * health indicators live in {@code org.springframework.boot.health}.
 *
 * <pre>{@code
 * GET /actuator/health/sseBackplane   ->  {"status":"DOWN","details":{"sseHub":"connection to stream sse:events at localhost:6379 is down"}}
 * }</pre>
 *
 * <p>Called on the actuator's threads; it asks each hub {@link Hub#unavailableReason()}, which makes no round trip.
 */
final class SseBackplaneHealthIndicator implements HealthIndicator {

    private final ListableBeanFactory beans;

    SseBackplaneHealthIndicator(ListableBeanFactory beans) {
        this.beans = beans;
    }

    @Override
    public Health health() {
        Map<String, Object> details = new TreeMap<>();
        boolean down = false;
        for (Map.Entry<String, Hub> e : beans.getBeansOfType(Hub.class).entrySet()) {
            Hub hub = e.getValue();
            if (!hub.hasBackplane()) {
                continue;
            }
            Optional<String> reason = hub.unavailableReason();
            details.put(e.getKey(), reason.orElse("reachable"));
            down |= reason.isPresent();
        }
        return (down ? Health.down() : Health.up()).withDetails(details).build();
    }
}
