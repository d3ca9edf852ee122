package dev.sse.tck;

import java.util.EnumSet;
import java.util.Set;

/**
 * How one server runtime serves a {@link TckApp} for the kit: an adapter module writes one in its tests and returns it
 * from {@link AdapterContractTest#fixture()}.
 */
public interface AdapterFixture {

    /**
     * Starts a real server on {@code 127.0.0.1} at a free port serving {@code app}: {@value TckApp#EVENTS_PATH}
     * streams {@link TckApp#hub()} configured by {@link TckApp#settings()}, {@value TckApp#STREAMS_PATH} opens a
     * per-request stream handed to {@link TckApp#streams()}, and {@link TckApp#requestCheck()}, when present, guards
     * both.
     *
     * @param app what to serve; the kit builds a new one for every test
     * @return the started server, which the kit closes
     * @throws Exception if the server cannot start
     */
    RunningServer start(TckApp app) throws Exception;

    /**
     * The optional behaviours this runtime offers; a kit test of a missing one is skipped, not failed. Leave one out
     * only where the runtime truly cannot offer it.
     *
     * @return every feature but {@link TckFeature#H2C} unless overridden
     */
    default Set<TckFeature> features() {
        return EnumSet.complementOf(EnumSet.of(TckFeature.H2C));
    }
}
