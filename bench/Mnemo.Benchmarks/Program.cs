using BenchmarkDotNet.Running;
using Mnemo.Benchmarks;

// `floor PATHS SIZE DIR [--sync-dir | --no-sync]`: the bare floor for the whole-process comparison, one
// write+fsync+rename of SIZE bytes for each relative path listed in the file PATHS (with --sync-dir also a flush of the
// folder after each rename, with --no-sync no flush at all); anything else goes to BenchmarkDotNet.
if (args is ["floor", var paths, var size, var directory, ..])
{
    BareFloor.Run(paths, int.Parse(size, System.Globalization.CultureInfo.InvariantCulture), directory,
        sync: args is not [.., "--no-sync"], syncDirectory: args is [.., "--sync-dir"]);
    return;
}

// `accuracy FOLDER`: the estimator against the reference tokenizers on the token corpus (FOLDER is bench/tokens).
if (args is ["accuracy", var folder])
{
    EstimatorAccuracy.Run(folder);
    return;
}

// `digest-survival FOLDER`: what the extractive summariser of cleared results keeps of the token corpus (bench/tokens).
if (args is ["digest-survival", var tokens])
{
    DigestSurvival.Run(tokens);
    return;
}

// `load URL KEY STORE CLIENTS SECONDS view|write`: a load on a running `mnemo serve` (bench/server-load.sh runs it).
if (args is ["load", var url, var key, var store, var clients, var seconds, var mode])
{
    await ServerLoad.RunAsync(url, key, store, int.Parse(clients, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(seconds, System.Globalization.CultureInfo.InvariantCulture), mode);
    return;
}

// `safety-corpus FILE`: the write-time scanner's detection and false-positive rates on the labelled corpus.
if (args is ["safety-corpus", var corpus])
{
    SafetyCorpus.Run(corpus);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
