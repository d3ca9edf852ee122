package dev.sse.core.http;

import dev.sse.core.Hub;
import dev.sse.core.InMemoryHistory;
import dev.sse.core.spi.BackplaneProvider;
import dev.sse.core.spi.Backplanes;
import dev.sse.core.spi.EventHistory;
import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way an adapter builds the hub its settings describe: keep-alive, queue limits, the slow-client policy
 * (parsed once, by the table), the gap event, and either an in-memory history ({@code historySize} 0: none) or the
 * backplane for {@code backplane}'s URI, found by {@link Backplanes} (its one class-loader rule). Stateless.
 */
public final class HubFactory {

    private static final Logger LOG = LoggerFactory.getLogger(HubFactory.class);

    private HubFactory() {
    }

    /**
     * Builds a hub.
     *
     * @param settings the settings; those of scope {@link Setting.Scope#HUB} are read
     * @param hubName the hub's name, from which a backplane may derive where it keeps its log
     * @return a new hub, which the caller shuts down
     * @throws IllegalArgumentException if no backplane provider supports the configured URI
     */
    public static Hub build(SseSettings.Values settings, String hubName) {
        Hub.Builder hub = Hub.builder().keepAlive(settings.get(SseSettings.KEEP_ALIVE))
                .maxQueuedFrames(settings.get(SseSettings.MAX_QUEUED_FRAMES))
                .maxQueuedBytes(settings.get(SseSettings.MAX_QUEUED_BYTES))
                .slowClientPolicy(settings.get(SseSettings.SLOW_CLIENT_POLICY))
                .gapEvent(settings.get(SseSettings.GAP_EVENT));
        URI backplane = settings.get(SseSettings.BACKPLANE);
        if (backplane != null) {
            LOG.debug("hub \"{}\" on backplane {}", hubName, backplane.getScheme());
            BackplaneProvider provider;
            try {
                provider = Backplanes.forUri(backplane);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(SseSettings.BACKPLANE.name() + " " + backplane + ": "
                        + e.getMessage(), e);
            }
            return hub.backplane(provider.create(backplane, hubName)).build();
        }
        int size = settings.get(SseSettings.HISTORY_SIZE);
        EventHistory history = size == 0 ? EventHistory.none()
                : InMemoryHistory.builder().maxEvents(size).maxAge(settings.get(SseSettings.HISTORY_MAX_AGE))
                        .maxBytes(settings.get(SseSettings.HISTORY_MAX_BYTES)).build();
        return hub.history(history).build();
    }
}
