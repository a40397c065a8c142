// Written by scripts/lock-base-toolchain.sh (make lock) from toolchains/debian-bookworm-build.toml:
// do not edit by hand. BaseToolchainLock.swift says how it is used.

/// The text of the committed base lock.
enum BaseToolchainLockText {
    /// `toolchains/debian-bookworm-build.toml`, byte for byte.
    static let text = #"""
        # A Debian lock: every .deb of the toolchain pinned by path and SHA-256. Mirrors come from
        # configuration (apt sources, REPRO_DEBIAN_MIRRORS, --debian-mirror), never from this file.
        # Made by: repro toolchain lock debian-bookworm-build --suite bookworm --include build-essential
        name = "debian-bookworm-build"
        description = "Debian bookworm minbase + build-essential (amd64), locked 2026-11-30"

        [debian]
        suite = "bookworm"
        suites = ["bookworm", "bookworm-updates", "bookworm-security"]
        architecture = "amd64"
        locked = "2026-11-30T10:39:16Z"
        include = ["build-essential"]
        rules = "minbase"

        [env]
        "PATH" = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

        [[package]]
        name = "adduser"
        version = "3.134"
        architecture = "all"
        path = "pool/main/a/adduser/adduser_3.134_all.deb"
        sha256 = "c24fe4eb8e60d8632d72ed104cce7c92cff200847c897dc8ba764b6c47b519e0"
        size = 183272

        [[package]]
        name = "apt"
        version = "2.6.2"
        architecture = "amd64"
        path = "pool/updates/main/a/apt/apt_2.6.2_amd64.deb"
        sha256 = "796fc7fe18866f5b1fb27a115d7339e549d71b7ddbc15b8d6fc4226c243e96d1"
        size = 1373116

        [[package]]
        name = "base-files"
        version = "12.4+deb12u15"
        architecture = "amd64"
        path = "pool/main/b/base-files/base-files_12.4+deb12u15_amd64.deb"
        sha256 = "3eb1ea6d85488f488cc2a163b98ad640ef88cee4c79287cf14e361aaf6206f47"
        size = 70936

        [[package]]
        name = "base-passwd"
        version = "3.6.1"
        architecture = "amd64"
        path = "pool/main/b/base-passwd/base-passwd_3.6.1_amd64.deb"
        sha256 = "908ca1b35125f49125ae56945a72bc11ce0fcec85a8d980d10d83bb3a610f518"
        size = 59972

        [[package]]
        name = "bash"
        version = "5.2.15-2+b13"
        architecture = "amd64"
        path = "pool/main/b/bash/bash_5.2.15-2+b13_amd64.deb"
        sha256 = "82130bb6a560cd2a7234d8018baf73f188f5dd56413d5aa0accc987b2197a6a1"
        size = 1490652

        [[package]]
        name = "binutils"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/binutils_2.40-2_amd64.deb"
        sha256 = "83c3e20b53e1fbd84d764c3ba27d26a0376e361ae5d7fb37120196934dd87424"
        size = 64980

        [[package]]
        name = "binutils-common"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/binutils-common_2.40-2_amd64.deb"
        sha256 = "ab314134f43a0891a48f69a9bc33d825da748fa5e0ba2bebb7a5c491b026f1a0"
        size = 2486664

        [[package]]
        name = "binutils-x86-64-linux-gnu"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/binutils-x86-64-linux-gnu_2.40-2_amd64.deb"
        sha256 = "2d7ea8a570d768224d7f2424abbe6f373d2154865a1fa7f56c80d43ecf492521"
        size = 2245848

        [[package]]
        name = "bsdutils"
        version = "1:2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/bsdutils_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "6cae172b006a4603e710e046c3acba8d98d36748894cbe3eeda31d415fec331e"
        size = 94412

        [[package]]
        name = "build-essential"
        version = "12.9"
        architecture = "amd64"
        path = "pool/main/b/build-essential/build-essential_12.9_amd64.deb"
        sha256 = "bbfd38de41898a06326f2a6ce4cc43e8e399f5566381231065b01d70499d5ba5"
        size = 7704

        [[package]]
        name = "bzip2"
        version = "1.0.8-5+b1"
        architecture = "amd64"
        path = "pool/main/b/bzip2/bzip2_1.0.8-5+b1_amd64.deb"
        sha256 = "438871b3f5c5c7a357a9840951dab9dab8db7eb1ff760a563226fafa111b99e5"
        size = 49804

        [[package]]
        name = "coreutils"
        version = "9.1-1"
        architecture = "amd64"
        path = "pool/main/c/coreutils/coreutils_9.1-1_amd64.deb"
        sha256 = "61038f857e346e8500adf53a2a0a20859f4d3a3b51570cc876b153a2d51a3091"
        size = 2896560

        [[package]]
        name = "cpp"
        version = "4:12.2.0-3"
        architecture = "amd64"
        path = "pool/main/g/gcc-defaults/cpp_12.2.0-3_amd64.deb"
        sha256 = "a63db920f7aa1857a57beab185423deffb6111fa09437a99bbb4ef724fb7ba78"
        size = 6836

        [[package]]
        name = "cpp-12"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/cpp-12_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "fedbb98e877adde83c983c6071537ea25ac52b277ac6e4637d85025949ca1454"
        size = 9767788

        [[package]]
        name = "dash"
        version = "0.5.12-2"
        architecture = "amd64"
        path = "pool/main/d/dash/dash_0.5.12-2_amd64.deb"
        sha256 = "33ea40061da2f1a861ec46212b2b6a34f0776a049b1a3f0abce2fb8cb994258f"
        size = 91848

        [[package]]
        name = "debconf"
        version = "1.5.82"
        architecture = "all"
        path = "pool/main/d/debconf/debconf_1.5.82_all.deb"
        sha256 = "74ab14194a3762b2fc717917dcfda42929ab98e3c59295a063344dc551cd7cc8"
        size = 121212

        [[package]]
        name = "debian-archive-keyring"
        version = "2023.3+deb12u2"
        architecture = "all"
        path = "pool/main/d/debian-archive-keyring/debian-archive-keyring_2023.3+deb12u2_all.deb"
        sha256 = "f699e2f88dca05212f2a452b58475f2993cb6993dfbafb1d0205a3291eb8b4b8"
        size = 178572

        [[package]]
        name = "debianutils"
        version = "5.7-0.5~deb12u1"
        architecture = "amd64"
        path = "pool/main/d/debianutils/debianutils_5.7-0.5~deb12u1_amd64.deb"
        sha256 = "55f951359670eb3236c9e2ccd5fac9ccb3db734f5a22aff21589e7a30aee48c9"
        size = 102588

        [[package]]
        name = "diffutils"
        version = "1:3.8-4"
        architecture = "amd64"
        path = "pool/main/d/diffutils/diffutils_3.8-4_amd64.deb"
        sha256 = "8bdfedc14c1035e3750e9f055ac9c1ecd9b5d05d9e6dc6466c4e9237eef407dd"
        size = 351740

        [[package]]
        name = "dpkg"
        version = "1.21.23"
        architecture = "amd64"
        path = "pool/main/d/dpkg/dpkg_1.21.23_amd64.deb"
        sha256 = "f89e9f8d1a4a50ade44be3ed59a6ec55460fce205d2f8520c5c492137c5b609b"
        size = 1567804

        [[package]]
        name = "dpkg-dev"
        version = "1.21.23"
        architecture = "all"
        path = "pool/main/d/dpkg/dpkg-dev_1.21.23_all.deb"
        sha256 = "43547075395dbe9290e6a5f34e9ba93aa5dcf7dfc5698c3d30cc3c85e5f7e3de"
        size = 1354256

        [[package]]
        name = "e2fsprogs"
        version = "1.47.0-2+b2"
        architecture = "amd64"
        path = "pool/main/e/e2fsprogs/e2fsprogs_1.47.0-2+b2_amd64.deb"
        sha256 = "fedd424691c08ef0739729026be298e7be8236337bf8e031b3c7ec66794e6fc2"
        size = 571920

        [[package]]
        name = "findutils"
        version = "4.9.0-4"
        architecture = "amd64"
        path = "pool/main/f/findutils/findutils_4.9.0-4_amd64.deb"
        sha256 = "5dd86bd0af4aa73f067dfd6b8339dd868f2dd84056aa79db29d1206d4fbc5e04"
        size = 635500

        [[package]]
        name = "g++"
        version = "4:12.2.0-3"
        architecture = "amd64"
        path = "pool/main/g/gcc-defaults/g++_12.2.0-3_amd64.deb"
        sha256 = "26c451a660728cf7c15548a281e17eef2f36fab28499371e83fc2d3accb499d7"
        size = 1356

        [[package]]
        name = "g++-12"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/g++-12_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "68b182badae4ace7d472f1393c559d3532a95a2d70817498b10bb481d2627251"
        size = 10694076

        [[package]]
        name = "gcc"
        version = "4:12.2.0-3"
        architecture = "amd64"
        path = "pool/main/g/gcc-defaults/gcc_12.2.0-3_amd64.deb"
        sha256 = "bb63b0fb2797e2a3a294dab8a02614930c557ec1f4ea96637c244b8b5f87e630"
        size = 5216

        [[package]]
        name = "gcc-12"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/gcc-12_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "b46f33cc2ec245e435e043807038cecf4b201ef004800e9dfc1455240360e49d"
        size = 19268852

        [[package]]
        name = "gcc-12-base"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/gcc-12-base_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "1896a2aacf4ad681ff5eacc24a5b0ca4d5d9c9b9c9e4b6de5197bc1e116ea619"
        size = 37596

        [[package]]
        name = "gpgv"
        version = "2.2.40-1.1+deb12u2"
        architecture = "amd64"
        path = "pool/main/g/gnupg2/gpgv_2.2.40-1.1+deb12u2_amd64.deb"
        sha256 = "2966dc0a0b89caa65c3b4a386fa4ed0b6ca2239cd51ec40e6920507aedcdb14a"
        size = 648768

        [[package]]
        name = "grep"
        version = "3.8-5"
        architecture = "amd64"
        path = "pool/main/g/grep/grep_3.8-5_amd64.deb"
        sha256 = "3264acea728df3c48a54f20e9291b965130e306b9d00adac76647049da7196df"
        size = 421444

        [[package]]
        name = "gzip"
        version = "1.12-1"
        architecture = "amd64"
        path = "pool/main/g/gzip/gzip_1.12-1_amd64.deb"
        sha256 = "eabec1dde2834f72540d7b93fc5df2625f52611c06d93d61f5cdb12480e0e6a3"
        size = 140364

        [[package]]
        name = "hostname"
        version = "3.23+nmu1"
        architecture = "amd64"
        path = "pool/main/h/hostname/hostname_3.23+nmu1_amd64.deb"
        sha256 = "17d9a2f3c05004499d80e180d2440fd716f84c32b65f09d96c9a024af4d1d0e7"
        size = 10500

        [[package]]
        name = "init-system-helpers"
        version = "1.65.2+deb12u1"
        architecture = "all"
        path = "pool/main/i/init-system-helpers/init-system-helpers_1.65.2+deb12u1_all.deb"
        sha256 = "afab482524c64e4e256eb5cab43c1a96dc493ec476d94f19f1a5ec3de5fa0fef"
        size = 39020

        [[package]]
        name = "libacl1"
        version = "2.3.1-3"
        architecture = "amd64"
        path = "pool/main/a/acl/libacl1_2.3.1-3_amd64.deb"
        sha256 = "8be9df5795114bfe90e2be3d208ef47a5edd3fc7b3e20d387a597486d444e5e2"
        size = 31488

        [[package]]
        name = "libapt-pkg6.0"
        version = "2.6.2"
        architecture = "amd64"
        path = "pool/updates/main/a/apt/libapt-pkg6.0_2.6.2_amd64.deb"
        sha256 = "023a7017b75295fc7037c7a4352847f9516a36a82cc5e1650d6832d238860913"
        size = 906972

        [[package]]
        name = "libasan8"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libasan8_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "e7ac5d797d7d438a130674a8e463530f06aa02ecf919ca054d75eaa2f7849ec7"
        size = 2192652

        [[package]]
        name = "libatomic1"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libatomic1_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "fbd4e154a6b444229ea002cc209df099209c0adc09102e5fd21239a3d2b55e2d"
        size = 9376

        [[package]]
        name = "libattr1"
        version = "1:2.5.1-4"
        architecture = "amd64"
        path = "pool/main/a/attr/libattr1_2.5.1-4_amd64.deb"
        sha256 = "c4945123d66d0503ba42e2fc0585abc76d0838978c6d277b9cc37a4da25d1a34"
        size = 22164

        [[package]]
        name = "libaudit-common"
        version = "1:3.0.9-1"
        architecture = "all"
        path = "pool/main/a/audit/libaudit-common_3.0.9-1_all.deb"
        sha256 = "17d0341ca6ce604ce59c296780ac2c2a24141a769823c50669af942c025e6591"
        size = 10448

        [[package]]
        name = "libaudit1"
        version = "1:3.0.9-1"
        architecture = "amd64"
        path = "pool/main/a/audit/libaudit1_3.0.9-1_amd64.deb"
        sha256 = "30954df4b5a7c505661ba8ae5e6ea94f5805e408899fb400783bb166eb5ff306"
        size = 46764

        [[package]]
        name = "libbinutils"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/libbinutils_2.40-2_amd64.deb"
        sha256 = "fcf55b99e5f8a78f3c8ce9b6957f1024f394cf20c196b100d308a57e43547710"
        size = 572104

        [[package]]
        name = "libblkid1"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/libblkid1_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "5a083377f29191cafcdf0f91ec124349b4a7895b531556633a136e43c6d53943"
        size = 147380

        [[package]]
        name = "libbz2-1.0"
        version = "1.0.8-5+b1"
        architecture = "amd64"
        path = "pool/main/b/bzip2/libbz2-1.0_1.0.8-5+b1_amd64.deb"
        sha256 = "54149da3f44b22d523b26b692033b84503d822cc5122fed606ea69cc83ca5aeb"
        size = 47348

        [[package]]
        name = "libc-bin"
        version = "2.36-9+deb12u14"
        architecture = "amd64"
        path = "pool/main/g/glibc/libc-bin_2.36-9+deb12u14_amd64.deb"
        sha256 = "e667401af91fad95f15b3ebd25d1abd8373fd18b00dc32219678413170544e84"
        size = 609144

        [[package]]
        name = "libc-dev-bin"
        version = "2.36-9+deb12u14"
        architecture = "amd64"
        path = "pool/main/g/glibc/libc-dev-bin_2.36-9+deb12u14_amd64.deb"
        sha256 = "f61d923b703401023bec2ac3d9d1c9ad7341930fbe11736f7f5ef64b489d03c4"
        size = 48056

        [[package]]
        name = "libc6"
        version = "2.36-9+deb12u14"
        architecture = "amd64"
        path = "pool/main/g/glibc/libc6_2.36-9+deb12u14_amd64.deb"
        sha256 = "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf"
        size = 2759320

        [[package]]
        name = "libc6-dev"
        version = "2.36-9+deb12u14"
        architecture = "amd64"
        path = "pool/main/g/glibc/libc6-dev_2.36-9+deb12u14_amd64.deb"
        sha256 = "0218fc2befcd784c1b0c6292c0a137ce89fad054efaa579ad083bee0f2c01aae"
        size = 1903668

        [[package]]
        name = "libcap-ng0"
        version = "0.8.3-1+b3"
        architecture = "amd64"
        path = "pool/main/libc/libcap-ng/libcap-ng0_0.8.3-1+b3_amd64.deb"
        sha256 = "b4b54769c77e4a71c8b33aee4d600ba28a9994a1c6f60d55d4ebe7fc44882e07"
        size = 17068

        [[package]]
        name = "libcap2"
        version = "1:2.66-4+deb12u3+b1"
        architecture = "amd64"
        path = "pool/main/libc/libcap2/libcap2_2.66-4+deb12u3+b1_amd64.deb"
        sha256 = "8d684c673e7483802a5c447834b0df6fce006eb3a7109e1be412f5ad425bb24f"
        size = 27708

        [[package]]
        name = "libcc1-0"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libcc1-0_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "4ee6009633003f47de98333ea7f7d8835ec563ae2ac4f30251dbfee04d75d46b"
        size = 41736

        [[package]]
        name = "libcom-err2"
        version = "1.47.0-2+b2"
        architecture = "amd64"
        path = "pool/main/e/e2fsprogs/libcom-err2_1.47.0-2+b2_amd64.deb"
        sha256 = "a2bac7015e78fbc0c504df3e441f3a22292f1d2d77f9ccda760057f3690e22f2"
        size = 20044

        [[package]]
        name = "libcrypt-dev"
        version = "1:4.4.33-2"
        architecture = "amd64"
        path = "pool/main/libx/libxcrypt/libcrypt-dev_4.4.33-2_amd64.deb"
        sha256 = "81ccd29130f75a9e3adabc80e61921abff42f76761e1f792fa2d1bb69af7f52f"
        size = 118144

        [[package]]
        name = "libcrypt1"
        version = "1:4.4.33-2"
        architecture = "amd64"
        path = "pool/main/libx/libxcrypt/libcrypt1_4.4.33-2_amd64.deb"
        sha256 = "f5f60a5cdfd4e4eaa9438ade5078a57741a7a78d659fcb0c701204f523e8bd29"
        size = 89464

        [[package]]
        name = "libctf-nobfd0"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/libctf-nobfd0_2.40-2_amd64.deb"
        sha256 = "ef1dfcf22de41ea90ebd3d505447ccccd999e96b85aa777a1d7d981dc3b347aa"
        size = 153384

        [[package]]
        name = "libctf0"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/libctf0_2.40-2_amd64.deb"
        sha256 = "3fb7b6f326be3fae4a87a3d33b9269bd06c1e4346a24bd737f265067e3b7427f"
        size = 89796

        [[package]]
        name = "libdb5.3"
        version = "5.3.28+dfsg2-1"
        architecture = "amd64"
        path = "pool/main/d/db5.3/libdb5.3_5.3.28+dfsg2-1_amd64.deb"
        sha256 = "7dc5127b8dd0da80e992ba594954c005ae4359d839a24eb65d0d8129b5235c84"
        size = 697412

        [[package]]
        name = "libdebconfclient0"
        version = "0.270"
        architecture = "amd64"
        path = "pool/main/c/cdebconf/libdebconfclient0_0.270_amd64.deb"
        sha256 = "7d2b2b700bae0ba67a13655fabba6a98da3f6ce7dee43d1ee0ac433b7ca1d947"
        size = 9900

        [[package]]
        name = "libdpkg-perl"
        version = "1.21.23"
        architecture = "all"
        path = "pool/main/d/dpkg/libdpkg-perl_1.21.23_all.deb"
        sha256 = "3f817fd9266ce2638c64b5df77da11f98f5df4f3301e1c04140be16790f72112"
        size = 603796

        [[package]]
        name = "libext2fs2"
        version = "1.47.0-2+b2"
        architecture = "amd64"
        path = "pool/main/e/e2fsprogs/libext2fs2_1.47.0-2+b2_amd64.deb"
        sha256 = "dff731f2318df99da4b8bf5f330f415f95b94c609bac29e7b2edba0a38f22a98"
        size = 204900

        [[package]]
        name = "libffi8"
        version = "3.4.4-1"
        architecture = "amd64"
        path = "pool/main/libf/libffi/libffi8_3.4.4-1_amd64.deb"
        sha256 = "6d9f6c25c30efccce6d4bceaa48ea86c329a3432abb360a141f76ac223a4c34a"
        size = 22856

        [[package]]
        name = "libgcc-12-dev"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libgcc-12-dev_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "d720259380a84f2ffc6fe516eff5cbe9c8a005138e8d6a5748747ba4b3404a82"
        size = 2437204

        [[package]]
        name = "libgcc-s1"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libgcc-s1_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "3016e62cb4b7cd8038822870601f5ed131befe942774d0f745622cc77d8a88f7"
        size = 49856

        [[package]]
        name = "libgcrypt20"
        version = "1.10.1-3+deb12u1"
        architecture = "amd64"
        path = "pool/main/libg/libgcrypt20/libgcrypt20_1.10.1-3+deb12u1_amd64.deb"
        sha256 = "e7a56552139c693904a6f9712234c05fe918353273a7cbdb5e62f423ad71bb97"
        size = 696204

        [[package]]
        name = "libgdbm-compat4"
        version = "1.23-3"
        architecture = "amd64"
        path = "pool/main/g/gdbm/libgdbm-compat4_1.23-3_amd64.deb"
        sha256 = "4af36a590b68d415a78d9238b932b6a4579f515ec8a8016597498acff5b515a4"
        size = 48156

        [[package]]
        name = "libgdbm6"
        version = "1.23-3"
        architecture = "amd64"
        path = "pool/main/g/gdbm/libgdbm6_1.23-3_amd64.deb"
        sha256 = "95fe4a1336532450e67bd067892f46eaa484139919ea8d067a9ffcbf5a4bf883"
        size = 72248

        [[package]]
        name = "libgmp10"
        version = "2:6.2.1+dfsg1-1.1"
        architecture = "amd64"
        path = "pool/main/g/gmp/libgmp10_6.2.1+dfsg1-1.1_amd64.deb"
        sha256 = "187aedef2ed763f425c1e523753b9719677633c7eede660401739e9c893482bd"
        size = 562588

        [[package]]
        name = "libgnutls30"
        version = "3.7.9-2+deb12u7"
        architecture = "amd64"
        path = "pool/main/g/gnutls28/libgnutls30_3.7.9-2+deb12u7_amd64.deb"
        sha256 = "30abec8c824feb1d2d7e9000a34083cccd19d139625e1b21547e3ac53b922f8e"
        size = 1409084

        [[package]]
        name = "libgomp1"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libgomp1_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "48fec46bda7f5b1638b9e959889bfbc20491247d402d120bb152687eb48143d7"
        size = 115772

        [[package]]
        name = "libgpg-error0"
        version = "1.46-1"
        architecture = "amd64"
        path = "pool/main/libg/libgpg-error/libgpg-error0_1.46-1_amd64.deb"
        sha256 = "89944ee11d7370ce6ef46fc52f094c4a6512eff8943ec4c6ebefeae6360ceada"
        size = 76888

        [[package]]
        name = "libgprofng0"
        version = "2.40-2"
        architecture = "amd64"
        path = "pool/main/b/binutils/libgprofng0_2.40-2_amd64.deb"
        sha256 = "a3c4092d84f19d13caf90f3c96eec53db8819f0e3a5247434944d71ed75fa53d"
        size = 812120

        [[package]]
        name = "libgssapi-krb5-2"
        version = "1.20.1-2+deb12u5"
        architecture = "amd64"
        path = "pool/main/k/krb5/libgssapi-krb5-2_1.20.1-2+deb12u5_amd64.deb"
        sha256 = "d8b87aea91b956b416c01a28c44ff6228315ae3b73de40acddac3dc5043607d2"
        size = 135168

        [[package]]
        name = "libhogweed6"
        version = "3.8.1-2"
        architecture = "amd64"
        path = "pool/main/n/nettle/libhogweed6_3.8.1-2_amd64.deb"
        sha256 = "ed8185c28b2cb519744a5a462dcd720d3b332c9b88a1d0002eac06dc8550cb94"
        size = 327524

        [[package]]
        name = "libidn2-0"
        version = "2.3.3-1+b1"
        architecture = "amd64"
        path = "pool/main/libi/libidn2/libidn2-0_2.3.3-1+b1_amd64.deb"
        sha256 = "d50716d5824083d667427817d506b45d3f59dc77e1ca52de000f3f62d4918afa"
        size = 123636

        [[package]]
        name = "libisl23"
        version = "0.25-1.1"
        architecture = "amd64"
        path = "pool/main/i/isl/libisl23_0.25-1.1_amd64.deb"
        sha256 = "ebff0b2f8b220c74224197523019366e97ee4770d464bebc48e4865114e4da0e"
        size = 683060

        [[package]]
        name = "libitm1"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libitm1_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "0ed5b35dfd1346cccbf065408ec789db6c44c1d0a16ae84533411dea09632979"
        size = 26140

        [[package]]
        name = "libjansson4"
        version = "2.14-2"
        architecture = "amd64"
        path = "pool/main/j/jansson/libjansson4_2.14-2_amd64.deb"
        sha256 = "3fc9742f9f1a37bcb9931df6074b4d1483419ef832ad5349f47323e75fc27864"
        size = 40788

        [[package]]
        name = "libk5crypto3"
        version = "1.20.1-2+deb12u5"
        architecture = "amd64"
        path = "pool/main/k/krb5/libk5crypto3_1.20.1-2+deb12u5_amd64.deb"
        sha256 = "7b6e47d15c5c9cdcd456137533d8308aeba608a54cec73b28bd59bfc4b54cf06"
        size = 79712

        [[package]]
        name = "libkeyutils1"
        version = "1.6.3-2"
        architecture = "amd64"
        path = "pool/main/k/keyutils/libkeyutils1_1.6.3-2_amd64.deb"
        sha256 = "cfac89e6a7a54ff3c6a4f843310e25efeddaa771baeae470bd98bd588c373563"
        size = 8808

        [[package]]
        name = "libkrb5-3"
        version = "1.20.1-2+deb12u5"
        architecture = "amd64"
        path = "pool/main/k/krb5/libkrb5-3_1.20.1-2+deb12u5_amd64.deb"
        sha256 = "c90801be09701af221b54dd502a59cb378b7284ff31e480738baca317d2f7653"
        size = 332280

        [[package]]
        name = "libkrb5support0"
        version = "1.20.1-2+deb12u5"
        architecture = "amd64"
        path = "pool/main/k/krb5/libkrb5support0_1.20.1-2+deb12u5_amd64.deb"
        sha256 = "8b9c05f2d8d461a10d657b118f572af5bf8fd6c8f93dcef81e852c5ab0f428ab"
        size = 33212

        [[package]]
        name = "liblsan0"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/liblsan0_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "d234ab339c0ba31a4fb44e2334cf5a8d15b87f2c2f9e74fadfaa877f92dcf22a"
        size = 969300

        [[package]]
        name = "liblz4-1"
        version = "1.9.4-1"
        architecture = "amd64"
        path = "pool/main/l/lz4/liblz4-1_1.9.4-1_amd64.deb"
        sha256 = "64cde86cef1deaf828bd60297839b59710b5cd8dc50efd4f12643caaee9389d3"
        size = 62884

        [[package]]
        name = "liblzma5"
        version = "5.4.1-1+deb12u2"
        architecture = "amd64"
        path = "pool/updates/main/x/xz-utils/liblzma5_5.4.1-1+deb12u2_amd64.deb"
        sha256 = "3d8c29c8c21ec6007635e1b2591edf98b771c9572a085968f47452b33040f384"
        size = 205796

        [[package]]
        name = "libmd0"
        version = "1.0.4-2"
        architecture = "amd64"
        path = "pool/main/libm/libmd/libmd0_1.0.4-2_amd64.deb"
        sha256 = "03539fd30c509e27101d13a56e52eda9062bdf1aefe337c07ab56def25a13eab"
        size = 29456

        [[package]]
        name = "libmount1"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/libmount1_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "f46e2d6b006951825adde9757790b6609d7c66c7700f9b68f3db913eaac323c3"
        size = 165732

        [[package]]
        name = "libmpc3"
        version = "1.3.1-1"
        architecture = "amd64"
        path = "pool/main/m/mpclib3/libmpc3_1.3.1-1_amd64.deb"
        sha256 = "d7f79544790e44f9b0c8cb9034a18c58d37f8702a15f32539050718679e52f80"
        size = 51480

        [[package]]
        name = "libmpfr6"
        version = "4.2.0-1"
        architecture = "amd64"
        path = "pool/main/m/mpfr4/libmpfr6_4.2.0-1_amd64.deb"
        sha256 = "37b7a2b4e78890b6a074777f27b96c84f58e81558ba08410c2b6c0ca4a4ad77b"
        size = 700900

        [[package]]
        name = "libnettle8"
        version = "3.8.1-2"
        architecture = "amd64"
        path = "pool/main/n/nettle/libnettle8_3.8.1-2_amd64.deb"
        sha256 = "45922e6e289ffd92f0f92d2bb9159e84236ff202d552a461bf10e5335b3f0261"
        size = 287764

        [[package]]
        name = "libnsl-dev"
        version = "1.3.0-2"
        architecture = "amd64"
        path = "pool/main/libn/libnsl/libnsl-dev_1.3.0-2_amd64.deb"
        sha256 = "bb81a188c119cd7fdebae723cbc95887b6c549b2fe4fb7e268a9c8846444da99"
        size = 66436

        [[package]]
        name = "libnsl2"
        version = "1.3.0-2"
        architecture = "amd64"
        path = "pool/main/libn/libnsl/libnsl2_1.3.0-2_amd64.deb"
        sha256 = "c0d83437fdb016cb289436f49f28a36be44b3e8f1f2498c7e3a095f709c0d6f8"
        size = 39480

        [[package]]
        name = "libp11-kit0"
        version = "0.24.1-2"
        architecture = "amd64"
        path = "pool/main/p/p11-kit/libp11-kit0_0.24.1-2_amd64.deb"
        sha256 = "251330faddbf013f060fcdb41f4b0c037c8a6e89ba7c09b04bfcc4e3f0807b22"
        size = 345080

        [[package]]
        name = "libpam-modules"
        version = "1.5.2-6+deb12u3"
        architecture = "amd64"
        path = "pool/updates/main/p/pam/libpam-modules_1.5.2-6+deb12u3_amd64.deb"
        sha256 = "70df6c0f65623896680c3b1199b980fdac9f2274bdfcb24685eca1100644db1d"
        size = 293236

        [[package]]
        name = "libpam-modules-bin"
        version = "1.5.2-6+deb12u3"
        architecture = "amd64"
        path = "pool/updates/main/p/pam/libpam-modules-bin_1.5.2-6+deb12u3_amd64.deb"
        sha256 = "085074025fc11242d320d0aea861f614e075cf80a273024666b950ffe0411f51"
        size = 76004

        [[package]]
        name = "libpam-runtime"
        version = "1.5.2-6+deb12u3"
        architecture = "all"
        path = "pool/updates/main/p/pam/libpam-runtime_1.5.2-6+deb12u3_all.deb"
        sha256 = "7781327aaebee1fc215eeb280385385122a424b964169ca48763f26390aba509"
        size = 161408

        [[package]]
        name = "libpam0g"
        version = "1.5.2-6+deb12u3"
        architecture = "amd64"
        path = "pool/updates/main/p/pam/libpam0g_1.5.2-6+deb12u3_amd64.deb"
        sha256 = "2cc3411d70739d7f09ee8f1dd145903320294e36bf6bda3cb56dd25eb9a8505f"
        size = 92412

        [[package]]
        name = "libpcre2-8-0"
        version = "10.42-1+deb12u2"
        architecture = "amd64"
        path = "pool/updates/main/p/pcre2/libpcre2-8-0_10.42-1+deb12u2_amd64.deb"
        sha256 = "d2f7edfcc7689b9e0761c2742cc824ac86a20768bc5e8057818dc6875291fe76"
        size = 261628

        [[package]]
        name = "libperl5.36"
        version = "5.36.0-7+deb12u4"
        architecture = "amd64"
        path = "pool/updates/main/p/perl/libperl5.36_5.36.0-7+deb12u4_amd64.deb"
        sha256 = "ed8480b621ad574c25aea30d36194d0133ea74093756ecbe3dff157d0510ef7f"
        size = 4207640

        [[package]]
        name = "libquadmath0"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libquadmath0_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "3f0c9a4c730da2fdab001cae596625438598fd2996d29d888feeb4c1cdc9011f"
        size = 144616

        [[package]]
        name = "libseccomp2"
        version = "2.5.4-1+deb12u1"
        architecture = "amd64"
        path = "pool/main/libs/libseccomp/libseccomp2_2.5.4-1+deb12u1_amd64.deb"
        sha256 = "108fe67957ca7cf9ba51d801118a1b37d404bea7b6e365025cd00779e9eca38d"
        size = 46808

        [[package]]
        name = "libselinux1"
        version = "3.4-1+b6"
        architecture = "amd64"
        path = "pool/main/libs/libselinux/libselinux1_3.4-1+b6_amd64.deb"
        sha256 = "2b07f5287b9105f40158b56e4d70cc1652dac56a408f3507b4ab3d061eed425f"
        size = 73720

        [[package]]
        name = "libsemanage-common"
        version = "3.4-1"
        architecture = "all"
        path = "pool/main/libs/libsemanage/libsemanage-common_3.4-1_all.deb"
        sha256 = "835f806c21ae25e39053bd3057051640341b0cf08e1db9746fd82e370d82fa30"
        size = 21632

        [[package]]
        name = "libsemanage2"
        version = "3.4-1+b5"
        architecture = "amd64"
        path = "pool/main/libs/libsemanage/libsemanage2_3.4-1+b5_amd64.deb"
        sha256 = "fd36d0972866adde5a52269a309fcecd76a8e45e557dd0ecd33aa221cabc2a8c"
        size = 89884

        [[package]]
        name = "libsepol2"
        version = "3.4-2.1"
        architecture = "amd64"
        path = "pool/main/libs/libsepol/libsepol2_3.4-2.1_amd64.deb"
        sha256 = "b998946bb9818a97b387a962826caae33bc7fdcb6d706b2782c0470510be6b48"
        size = 275900

        [[package]]
        name = "libsmartcols1"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/libsmartcols1_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "84088c6895fc07538fc51624899f3f71835188e0d38ebc3812097ac13da523b0"
        size = 106776

        [[package]]
        name = "libss2"
        version = "1.47.0-2+b2"
        architecture = "amd64"
        path = "pool/main/e/e2fsprogs/libss2_1.47.0-2+b2_amd64.deb"
        sha256 = "24115749c09b4e259acff1f799faccd1748ff322bd638b09d820729cb3b24579"
        size = 24800

        [[package]]
        name = "libssl3"
        version = "3.0.22-1~deb12u2"
        architecture = "amd64"
        path = "pool/updates/main/o/openssl/libssl3_3.0.22-1~deb12u2_amd64.deb"
        sha256 = "cb4784740daa9b3b0eaea2b444bbefa686794afbbf3d678d238c1fd9875f2efd"
        size = 2039888

        [[package]]
        name = "libstdc++-12-dev"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libstdc++-12-dev_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "d28def6c23630432b57cb38a4c2fd67a79d4e0484027386ca6e8d6005c3d7a73"
        size = 2047292

        [[package]]
        name = "libstdc++6"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libstdc++6_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "5cd3171216d4ab0fc911cfe9c35509bf2dd8f47761c43b7f6a4296701551a24d"
        size = 612604

        [[package]]
        name = "libsystemd0"
        version = "252.39-1~deb12u2"
        architecture = "amd64"
        path = "pool/main/s/systemd/libsystemd0_252.39-1~deb12u2_amd64.deb"
        sha256 = "013c07514a9e4933b2d5c098018695a6aa42d085dbc483ce2c094a954c8a1b0a"
        size = 332372

        [[package]]
        name = "libtasn1-6"
        version = "4.19.0-2+deb12u1"
        architecture = "amd64"
        path = "pool/main/libt/libtasn1-6/libtasn1-6_4.19.0-2+deb12u1_amd64.deb"
        sha256 = "2c27c613b69be248d09432839ea3d3382f6ee27fabaa65987aa2d884cd00afda"
        size = 48596

        [[package]]
        name = "libtinfo6"
        version = "6.4-4"
        architecture = "amd64"
        path = "pool/main/n/ncurses/libtinfo6_6.4-4_amd64.deb"
        sha256 = "072d908f38f51090ca28ca5afa3b46b2957dc61fe35094c0b851426859a49a51"
        size = 331352

        [[package]]
        name = "libtirpc-common"
        version = "1.3.3+ds-1"
        architecture = "all"
        path = "pool/main/libt/libtirpc/libtirpc-common_1.3.3+ds-1_all.deb"
        sha256 = "3e3ef129b4bf61513144236e15e1b4ec57fa5ae3dc8a72137abdbefb7a63af85"
        size = 14048

        [[package]]
        name = "libtirpc-dev"
        version = "1.3.3+ds-1"
        architecture = "amd64"
        path = "pool/main/libt/libtirpc/libtirpc-dev_1.3.3+ds-1_amd64.deb"
        sha256 = "03326473eed54ffa27efae19aa5d6aeb402930968f869f318445513093691d55"
        size = 191428

        [[package]]
        name = "libtirpc3"
        version = "1.3.3+ds-1"
        architecture = "amd64"
        path = "pool/main/libt/libtirpc/libtirpc3_1.3.3+ds-1_amd64.deb"
        sha256 = "2a46d5a5e9486da11ffeff5740931740d6deae4f92cd6098df060dc5dff1e1c7"
        size = 85192

        [[package]]
        name = "libtsan2"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libtsan2_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "06906663d644a75a1a836382ecd80b61461129c06f02935ce408b25809f6c958"
        size = 2196972

        [[package]]
        name = "libubsan1"
        version = "12.2.0-14+deb12u1"
        architecture = "amd64"
        path = "pool/main/g/gcc-12/libubsan1_12.2.0-14+deb12u1_amd64.deb"
        sha256 = "744f52adf00ffd45d44806b1c7e802a36bd27e479c9bc8457128fde357faa530"
        size = 883056

        [[package]]
        name = "libudev1"
        version = "252.39-1~deb12u2"
        architecture = "amd64"
        path = "pool/main/s/systemd/libudev1_252.39-1~deb12u2_amd64.deb"
        sha256 = "6f7e08f11c4809d2e5998c775f7b423ab5ec2ce0309494b4a2615037052245e2"
        size = 108880

        [[package]]
        name = "libunistring2"
        version = "1.0-2"
        architecture = "amd64"
        path = "pool/main/libu/libunistring/libunistring2_1.0-2_amd64.deb"
        sha256 = "d466bbfe011d764d793c1d9d777cad9c7cf65b938e11598f27408171ad95a951"
        size = 436708

        [[package]]
        name = "libuuid1"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/libuuid1_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "5fff398321da62d28a842bcbabd193d72ae21724962c029dc32b1dc6b2deaeaf"
        size = 28784

        [[package]]
        name = "libxxhash0"
        version = "0.8.1-1"
        architecture = "amd64"
        path = "pool/main/x/xxhash/libxxhash0_0.8.1-1_amd64.deb"
        sha256 = "6c19a5d18c8350744581fbd25d5d29e2b7101053e25aafa4e1ffcc2b505b2f1c"
        size = 27584

        [[package]]
        name = "libzstd1"
        version = "1.5.4+dfsg2-5+deb12u1"
        architecture = "amd64"
        path = "pool/updates/main/libz/libzstd/libzstd1_1.5.4+dfsg2-5+deb12u1_amd64.deb"
        sha256 = "67dc1ee693e5c22b1a2be2bb70d8244b040836ce3f5dd79e006f7806bc3d9f1c"
        size = 290236

        [[package]]
        name = "linux-libc-dev"
        version = "6.1.192-3"
        architecture = "amd64"
        path = "pool/updates/main/l/linux/linux-libc-dev_6.1.192-3_amd64.deb"
        sha256 = "1b699a9cf27fd36f295b8f7615b73cea8d2d11d43c275c2aca1f4a7a7d14c4ea"
        size = 2458036

        [[package]]
        name = "login"
        version = "1:4.13+dfsg1-1+deb12u2"
        architecture = "amd64"
        path = "pool/main/s/shadow/login_4.13+dfsg1-1+deb12u2_amd64.deb"
        sha256 = "f1cc45bf505a8457340dc3c36f3a01a1835aaf564d73d9d394afb8ccfb6595a0"
        size = 616084

        [[package]]
        name = "logsave"
        version = "1.47.0-2+b2"
        architecture = "amd64"
        path = "pool/main/e/e2fsprogs/logsave_1.47.0-2+b2_amd64.deb"
        sha256 = "12e051fb0d931c510d464ba93e87b937aa41a08f286735e0538d9f9e73efa3d0"
        size = 19876

        [[package]]
        name = "make"
        version = "4.3-4.1"
        architecture = "amd64"
        path = "pool/main/m/make-dfsg/make_4.3-4.1_amd64.deb"
        sha256 = "a1a83af8cbd854af887b72ad196b1f4af58387815e21ced1000253a116a46e2a"
        size = 395632

        [[package]]
        name = "mawk"
        version = "1.3.4.20200120-3.1"
        architecture = "amd64"
        path = "pool/main/m/mawk/mawk_1.3.4.20200120-3.1_amd64.deb"
        sha256 = "bcbc83f391854ea9d50ce2a4101aacf330de3b8b71d81a798faadba14a157f78"
        size = 119144

        [[package]]
        name = "mount"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/mount_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "456ed2c62f884bc1133b6969d4d1eb2e6d8581076b00b4c8d700151155270a7a"
        size = 134044

        [[package]]
        name = "ncurses-base"
        version = "6.4-4"
        architecture = "all"
        path = "pool/main/n/ncurses/ncurses-base_6.4-4_all.deb"
        sha256 = "bfd1d89f833c09a28b062ee916495cf69649ca2bf529532476c7b69d75d24909"
        size = 261308

        [[package]]
        name = "ncurses-bin"
        version = "6.4-4"
        architecture = "amd64"
        path = "pool/main/n/ncurses/ncurses-bin_6.4-4_amd64.deb"
        sha256 = "396d6e453aee6d71b7141f0bfb333a6c08a44c64f77632bdf52894ccd123db46"
        size = 421400

        [[package]]
        name = "passwd"
        version = "1:4.13+dfsg1-1+deb12u2"
        architecture = "amd64"
        path = "pool/main/s/shadow/passwd_4.13+dfsg1-1+deb12u2_amd64.deb"
        sha256 = "fb787363372903e03627e53fd483e51dfb6861047a1e02c7d5a5f27d66546d08"
        size = 972180

        [[package]]
        name = "patch"
        version = "2.7.6-7+deb12u1"
        architecture = "amd64"
        path = "pool/updates/main/p/patch/patch_2.7.6-7+deb12u1_amd64.deb"
        sha256 = "5b2c69742e3c51ca724d8b499e4d9f80362106162d7ea0dffe8f3641a7879fb7"
        size = 123080

        [[package]]
        name = "perl"
        version = "5.36.0-7+deb12u4"
        architecture = "amd64"
        path = "pool/updates/main/p/perl/perl_5.36.0-7+deb12u4_amd64.deb"
        sha256 = "67e7a883c5d835939638f89a750799282df243ac1446281aa92ef9e19300940b"
        size = 239392

        [[package]]
        name = "perl-base"
        version = "5.36.0-7+deb12u4"
        architecture = "amd64"
        path = "pool/updates/main/p/perl/perl-base_5.36.0-7+deb12u4_amd64.deb"
        sha256 = "d7d1943aec9597629bf73075efcc5ef6dc9bda96d78e80d843156ecd448478b8"
        size = 1609596

        [[package]]
        name = "perl-modules-5.36"
        version = "5.36.0-7+deb12u4"
        architecture = "all"
        path = "pool/updates/main/p/perl/perl-modules-5.36_5.36.0-7+deb12u4_all.deb"
        sha256 = "3ed38ffa8320e9bf7597cefa01b6a6ace4a08ccc77cdfd15ef7d8b711dea7166"
        size = 2817356

        [[package]]
        name = "rpcsvc-proto"
        version = "1.4.3-1"
        architecture = "amd64"
        path = "pool/main/r/rpcsvc-proto/rpcsvc-proto_1.4.3-1_amd64.deb"
        sha256 = "32ac0692694f8a34cc90c895f4fc739680fb2ef0e2d4870a68833682bf1c81a3"
        size = 63268

        [[package]]
        name = "sed"
        version = "4.9-1+deb12u1"
        architecture = "amd64"
        path = "pool/main/s/sed/sed_4.9-1+deb12u1_amd64.deb"
        sha256 = "fd557efeee8aae4619c2cb7f68aadccb804322ad4a99ab048aaae5901d253885"
        size = 329092

        [[package]]
        name = "sysvinit-utils"
        version = "3.06-4"
        architecture = "amd64"
        path = "pool/main/s/sysvinit/sysvinit-utils_3.06-4_amd64.deb"
        sha256 = "11790842108768ec52432ea22e7b4f057232813b7c27ef6dfe1aba776a5cb90e"
        size = 30996

        [[package]]
        name = "tar"
        version = "1.34+dfsg-1.2+deb12u1"
        architecture = "amd64"
        path = "pool/main/t/tar/tar_1.34+dfsg-1.2+deb12u1_amd64.deb"
        sha256 = "24fb92e98c2969171f81a8b589263d705f6b1670f95d121cd74c810d4605acc3"
        size = 836288

        [[package]]
        name = "tzdata"
        version = "2026f-0+deb12u1"
        architecture = "all"
        path = "pool/updates/main/t/tzdata/tzdata_2026f-0+deb12u1_all.deb"
        sha256 = "3254eb870c8a949518214805aee5e4276af7699988ea8b9a3a583cd0f1eab31c"
        size = 307832

        [[package]]
        name = "usr-is-merged"
        version = "37~deb12u1"
        architecture = "all"
        path = "pool/main/u/usrmerge/usr-is-merged_37~deb12u1_all.deb"
        sha256 = "908b80730d99afe6f59ed7f449827b7047ceeeaa7637c368c03e4912e0a6de99"
        size = 5616

        [[package]]
        name = "util-linux"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/util-linux_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "8eb241ff24b2e1ee9c0373f4fc9bc728b85bf5966c1496154df7da01c0e42f34"
        size = 1177276

        [[package]]
        name = "util-linux-extra"
        version = "2.38.1-5+deb12u3"
        architecture = "amd64"
        path = "pool/main/u/util-linux/util-linux-extra_2.38.1-5+deb12u3_amd64.deb"
        sha256 = "b097a68c68e5c47a18e82678729dd9986782cf1d439f53beafad6f6dd3e6d688"
        size = 110728

        [[package]]
        name = "xz-utils"
        version = "5.4.1-1+deb12u2"
        architecture = "amd64"
        path = "pool/updates/main/x/xz-utils/xz-utils_5.4.1-1+deb12u2_amd64.deb"
        sha256 = "f99fc3fe4b4e5baecf5fd8b53853a82e1e71cb5ec187b36b0ddcf227a8961c8f"
        size = 471448

        [[package]]
        name = "zlib1g"
        version = "1:1.2.13.dfsg-1"
        architecture = "amd64"
        path = "pool/main/z/zlib/zlib1g_1.2.13.dfsg-1_amd64.deb"
        sha256 = "d7dd1d1411fedf27f5e27650a6eff20ef294077b568f4c8c5e51466dc7c08ce4"
        size = 86684

        """#
}
