#ifndef CREPROSANDBOX_H
#define CREPROSANDBOX_H

/// The version of the plan structure the C child understands.
#define REPRO_SANDBOX_ABI 1

int repro_sandbox_abi(void);

#endif
