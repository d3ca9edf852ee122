package dev.sse.core;

/**
 * How much one channel may hold and what happens beyond it; one value per hub, given to each channel at
 * construction.
 *
 * @param maxFrames the most frames queued, at least 1
 * @param maxBytes the most bytes queued, at least 1 (one larger frame still fits an empty queue)
 * @param policy what to do with a client whose queue is full
 */
record QueueLimits(int maxFrames, long maxBytes, SlowClientPolicy policy) {

    /** @return whether a replay of this many frames and bytes may be queued on resume: half the limits, so live
     *  frames that arrive while it drains still fit */
    boolean replayFits(int frames, long bytes) {
        return frames <= Math.max(1, maxFrames / 2) && bytes <= Math.max(1, maxBytes / 2);
    }
}
