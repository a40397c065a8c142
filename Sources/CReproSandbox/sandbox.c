#include "CReproSandbox.h"

int repro_sandbox_abi(void) { return REPRO_SANDBOX_ABI; }
