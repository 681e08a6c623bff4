using System.Runtime.Versioning;

// The file-system store, and so these tests, run on Linux.
[assembly: SupportedOSPlatform("linux")]
