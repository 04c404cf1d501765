"""The sampler on a mesh: 8 simulated CPU devices (data, fsdp and tensor axes all 2, run in a
subprocess since the device count is fixed at jax start-up) decode the same tokens,
log-probs and finish reasons as one device, with the rows split over the batch axes and
the parameters left sharded."""
from tests.fixtures.device_count_check import run_check


def test_sharded_sampler_matches_one_device():
    report = run_check("tests.rl.sampling.sharded_sampler_check")
    for name in ("greedy", "sampled", "repeated", "stop_string", "constrained"):
        assert report[name]["tokens_equal"] and report[name]["finish_equal"], (name, report[name])
        assert report[name]["log_prob_diff"] < 1e-4, (name, report[name])
    assert report["stop_string"]["stops"] >= 1 and report["constrained"]["stops"] >= 1, report
    # rows over (data, fsdp): each device decodes its rows; the cache's kv heads over tensor
    assert report["placements"]["rows_spec"] == ["('data', 'fsdp')"], report
    assert report["placements"]["cache_spec"][:4] == ["None", "('data', 'fsdp')", "None", "tensor"], report
    assert report["q_proj_devices"] == 8
