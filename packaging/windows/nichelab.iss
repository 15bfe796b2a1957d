; Inno Setup 6 script for NicheLab (Windows x64).
; Built by packaging/build.py, which passes:
;   /DAppVersion=0.1.0 /DSourceDir=...\packaging\dist\NicheLab /DOutputDir=...\packaging\dist
;   /DIconFile=...\resources\icons\nichelab.ico /DLicenseFile=...\LICENSE
; Per-user install by default (no administrator rights: PrivilegesRequired=lowest), into
; %LOCALAPPDATA%\Programs\NicheLab; an administrator may choose "install for all users" instead.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef SourceDir
  #define SourceDir "..\dist\NicheLab"
#endif
#ifndef OutputDir
  #define OutputDir "..\dist"
#endif
#ifndef IconFile
  #define IconFile "..\..\resources\icons\nichelab.ico"
#endif
#ifndef LicenseFile
  #define LicenseFile "..\..\LICENSE"
#endif

#define AppName "NicheLab"
#define AppExe "NicheLab.exe"

[Setup]
; AppId identifies the program for upgrades and the uninstaller: never change it
AppId={{6C2B8E0F-4F1D-4C4B-9D3A-8E51A7C0B9E4}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=NicheLab authors
AppComments=Bone-marrow niche simulator: thrombopoiesis, TPO and transplant recovery in 3D
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir={#OutputDir}
OutputBaseFilename={#AppName}-{#AppVersion}-windows-x64-setup
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
LicenseFile={#LicenseFile}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Bone-marrow niche simulator"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[InstallDelete]
; an upgrade replaces the whole bundle (no stale libraries from an older version)
Type: filesandordirs; Name: "{app}\_internal"

[UninstallDelete]
Type: filesandordirs; Name: "{app}\_internal"
