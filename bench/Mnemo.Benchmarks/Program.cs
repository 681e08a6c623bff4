using BenchmarkDotNet.Running;
using Mnemo.Benchmarks;

// `floor N SIZE DIR`: the bare floor for the whole-process comparison (N write+fsync+rename of SIZE bytes);
// anything else goes to BenchmarkDotNet.
if (args is ["floor", var count, var size, var directory])
{
    BareFloor.Run(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture),
        int.Parse(size, System.Globalization.CultureInfo.InvariantCulture), directory);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
